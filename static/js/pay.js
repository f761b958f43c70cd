// Debtor face, payments: pay the whole balance or another amount through the
// configured gateway (Stripe Checkout or the sandbox page), and show the
// receipt when the person comes back.
(function () {
  'use strict';
  const C = window.Cartera;
  const el = C.el;
  const sec = document.getElementById('pay');

  async function go(body, btn, err) {
    btn.disabled = true; err.hidden = true;
    try {
      const r = await C.api('POST', '/api/debtor/checkout', body);
      location.href = r.url;
    } catch (e) { err.textContent = C.errorText(e); err.hidden = false; btn.disabled = false; }
  }

  async function paidNotice() {
    const id = new URLSearchParams(location.search).get('paid');
    if (!id) return null;
    try {
      const p = await C.api('GET', '/api/debtor/payments/' + encodeURIComponent(id));
      if (p.status !== 'succeeded') return el('p', { class: 'small muted', text: C.t('pay.pending') });
      return el('div', { class: 'paid-notice', id: 'pay-done' },
        el('p', { class: 'ok-text', text: C.t('pay.done', { amount: C.money(p.amount, p.currency) }) }),
        el('a', { class: 'btn', href: '/api/debtor/payments/' + encodeURIComponent(id) + '/receipt.pdf', text: C.t('pay.receipt') }));
    } catch (e) { return null; }
  }

  document.addEventListener('cartera:statement', async (ev) => {
    const st = ev.detail;
    const open = st.accounts.filter((a) => a.status === 'open');
    const owed = open.reduce((s, a) => s + a.balance, 0);
    // "Pay everything" is what the statement asks for today: balance plus
    // late interest less discounts (the server prices it the same way).
    const all = open.reduce((s, a) => s + a.balance + a.interest - Math.min(a.discount, a.balance), 0);
    const notice = await paidNotice();
    const err = el('p', { class: 'error', hidden: true, id: 'pay-error' });
    const money = (v) => C.money(v, st.currency);
    const kids = [el('h2', { text: C.t('pay.title') })];
    if (notice) kids.push(notice);
    if (owed > 0 && st.onlinePayments === false) {
      // No gateway configured: no pay buttons, and how else to pay.
      kids.push(el('p', { class: 'notice', id: 'pay-off', text: C.t('pay.off', { company: (st.tenant && st.tenant.name) || '' }) }));
    } else if (owed > 0) {
      const payAll = el('button', { type: 'button', class: 'btn primary wide', id: 'pay-all', text: C.t('pay.all', { amount: money(all) }) });
      payAll.onclick = () => go({}, payAll, err);
      const amount = el('input', { id: 'pay-amount', type: 'number', min: '1', step: '0.01', inputmode: 'decimal', placeholder: C.t('pay.amountHint') });
      const some = el('button', { type: 'button', class: 'btn wide', id: 'pay-some', text: C.t('pay.some') });
      some.onclick = () => {
        const v = Math.round(parseFloat(String(amount.value).replace(',', '.')) * 100);
        if (!(v > 0)) { err.textContent = C.t('pay.badAmount'); err.hidden = false; return; }
        go({ amount: v }, some, err);
      };
      kids.push(el('p', { class: 'small muted', text: C.t('pay.help') }), payAll,
        el('label', {}, C.t('pay.other'), amount), some, err,
        el('p', { class: 'small muted', text: C.t('pay.interestNote') }));
    } else if (!notice) {
      kids.push(el('p', { class: 'ok-text', text: C.t('pay.nothing') }));
    }
    sec.replaceChildren(...kids);
    sec.hidden = false;
  });
})();
