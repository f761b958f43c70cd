// Bank-file reconciliation on the client and manager faces: upload the
// bank's file (Asobancaria or a statement), see what was matched, suggested
// and left unmatched, and confirm or reject what waits. Text via C.t only.
(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const face = document.body.dataset.face;
  if (face !== 'client' && face !== 'manager') return;
  const view = document.getElementById('view');
  const B = (k, v) => C.t('bank.' + k, v);
  const tk = (key, fallback) => { const s = C.t(key); return s === key ? fallback : s; };
  const base = () => '/api/tenants/' + encodeURIComponent(C.tenant) + '/bank-files';
  const cur = () => ((C.tenants || []).find((t) => t.slug === C.tenant) || {}).currency || 'COP';
  const money = (n) => C.money(n || 0, cur());
  let fileId = '';

  function section() {
    const file = el('input', { id: 'bank-file', type: 'file', accept: '.txt,.csv,.xlsx,.dat' });
    const format = el('select', { id: 'bank-format' }, ['', 'asobancaria', 'csv'].map((f) =>
      el('option', { value: f, text: B('format.' + (f || 'auto')) })));
    const send = el('button', { id: 'bank-upload', type: 'button', class: 'btn primary', text: B('upload') });
    const error = el('p', { id: 'bank-error', class: 'error', role: 'alert', hidden: true });
    const summary = el('div', { id: 'bank-summary', role: 'status' });
    const filter = el('select', { id: 'bank-filter' }, ['suggested', 'unmatched', 'matched', 'rejected', ''].map((s) =>
      el('option', { value: s, text: B('status.' + (s || 'all')) })));
    const tbody = el('tbody', {});
    const cols = ['line', 'date', 'amount', 'reference', 'status', 'reason', 'accounts', 'actions'].map((k) => B('col.' + k));
    const tbl = el('div', { class: 'table-wrap', hidden: true }, el('table', { id: 'bank-movements', class: 'stack' },
      el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: c })))), tbody));
    const fail = (e) => { error.textContent = e ? ((e.data && e.data.error) || e.message || C.t('error.network')) : ''; error.hidden = !e; };

    function drawSummary(f) {
      const item = (k) => el('li', {}, el('strong', { text: B('status.' + k) + ': ' }),
        String(f[k] || 0) + ' · ' + money(f[k + 'Amount']));
      // replaceChildren writes a null as the text "null": only real nodes.
      summary.replaceChildren(...[el('p', {}, B('fileStatus', { status: tk('bank.file.' + f.status, f.status), n: f.movements })),
        el('ul', { class: 'inline-list' }, ['matched', 'suggested', 'unmatched', 'rejected'].map(item)),
        (f.errors || []).length ? el('ul', { class: 'error', id: 'bank-file-errors' }, f.errors.map((e) => el('li', { text: e.message }))) : null].filter(Boolean));
    }
    async function refresh() {
      if (!fileId) return;
      try {
        drawSummary(await C.api('GET', base() + '/' + fileId));
        const q = filter.value ? '?status=' + filter.value : '';
        const res = await C.api('GET', base() + '/' + fileId + '/movements' + q);
        document.dispatchEvent(new CustomEvent('cartera:money')); // balances may have moved
        tbody.replaceChildren(...res.items.map(row));
        tbl.hidden = false;
      } catch (e) { fail(e); }
    }
    function row(m) {
      const waiting = m.status === 'suggested' || m.status === 'unmatched';
      const accts = el('input', { type: 'text', class: 'bank-accounts', value: (m.accountIds || []).join(', '), 'aria-label': B('col.accounts'), disabled: !waiting });
      const act = async (what) => {
        fail(null);
        const ids = accts.value.split(',').map((s) => s.trim()).filter(Boolean);
        try { await C.api('POST', base() + '/' + fileId + '/movements/' + m.id + '/' + what, what === 'confirm' ? { accountIds: ids } : {}); refresh(); } catch (e) { fail(e); }
      };
      const posted = (m.postings || []).map((p) => p.accountId + ' ' + money(p.amount)).join(', ');
      return el('tr', { 'data-status': m.status },
        el('td', { 'data-label': B('col.line'), text: String(m.line) }), el('td', { 'data-label': B('col.date'), text: m.date ? C.date(m.date) : '' }),
        el('td', { 'data-label': B('col.amount'), class: 'num', text: money(m.amount) }),
        el('td', { 'data-label': B('col.reference'), text: m.reference || m.document || '' }),
        el('td', { 'data-label': B('col.status'), text: B('status.' + m.status) + (m.confidence ? ' · ' + B('confidence.' + m.confidence) : '') }),
        el('td', { 'data-label': B('col.reason'), text: m.reason ? tk('bank.reason.' + m.reason, m.reason) : '' }),
        el('td', { 'data-label': B('col.accounts') }, waiting ? accts : posted),
        el('td', { 'data-label': B('col.actions') }, waiting ? [
          el('button', { type: 'button', class: 'btn primary bank-confirm', text: B('confirm'), onclick: () => act('confirm') }),
          el('button', { type: 'button', class: 'btn bank-reject', text: B('reject'), onclick: () => act('reject') })] : null));
    }
    send.addEventListener('click', async () => {
      fail(null);
      if (!file.files.length) { fail(new Error(B('noFile'))); return; }
      const form = new FormData();
      form.append('file', file.files[0]);
      if (format.value) form.append('format', format.value);
      try { fileId = (await C.api('POST', base(), form)).id; refresh(); } catch (e) { fail(e); }
    });
    filter.addEventListener('change', refresh);
    return el('section', { class: 'card', id: 'bank-files' },
      el('h2', { text: B('title') }), el('p', { class: 'muted small', text: B('help') }),
      el('div', { class: 'filters' }, el('label', {}, B('file'), file), el('label', {}, B('format'), format), send),
      error, summary, el('label', {}, B('show'), filter), tbl);
  }

  function place() {
    if (!C.tenant || document.getElementById('bank-files') || !view.childElementCount) return;
    view.append(section());
  }
  new MutationObserver(place).observe(view, { childList: true });
})();
