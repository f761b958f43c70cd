(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');
  // Until the prioritized queue lands, the collector sees the accounts
  // assigned to them (the API returns only their own).
  async function render() {
    const card = el('section', { class: 'card', id: 'queue' }, el('h2', { text: C.t('collector.queue') }));
    view.replaceChildren(card);
    if (!C.tenant) { card.append(el('p', { class: 'empty', text: C.t('collector.empty') })); return; }
    const res = await C.api('GET', '/api/tenants/' + encodeURIComponent(C.tenant) + '/accounts?status=open&limit=200');
    if (!res.items.length) { card.append(el('p', { class: 'empty', text: C.t('collector.empty') })); return; }
    card.append(el('p', { class: 'muted small', text: C.t('collector.count', { n: res.items.length + (res.next ? '+' : '') }) }),
      el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {},
          el('th', { text: C.t('collector.col.invoice') }), el('th', { text: C.t('collector.col.debtor') }),
          el('th', { text: C.t('collector.col.due') }), el('th', { class: 'num', text: C.t('collector.col.dpd') }),
          el('th', { class: 'num', text: C.t('collector.col.balance') }))),
        el('tbody', {}, res.items.map((a) => el('tr', {},
          el('td', {}, el('strong', { text: a.invoice })),
          el('td', {}, a.debtor.name, el('div', { class: 'muted small', text: a.debtor.document })),
          el('td', { text: C.date(a.dueDate) }),
          el('td', { class: 'num', text: String(a.daysPastDue) }),
          el('td', { class: 'num', text: C.money(a.balance, a.currency) })))))));
  }
  C.staff().then(render).catch((e) => C.toast(C.errorText(e)));
})();
