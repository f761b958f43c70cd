// Debtor face, payments. A bar stays at the bottom of the phone with what
// is owed (or what the picked invoices cost) and "Pay"; it opens a sheet
// with everything, the picked invoices, or any amount, and one button that
// goes to the gateway (Stripe Checkout, Wompi's checkout or the sandbox
// page), with the method the debtor chose when the gateway offers several. Statement →
// paid is three taps: Pay, Pay $X, and the gateway's own button. The #pay
// section keeps the receipt after coming back and says how else to pay
// when no gateway is set up.
(function () {
  'use strict';
  const C = window.Cartera;
  const el = C.el;
  const sec = document.getElementById('pay');
  let st = null;

  const money = (v) => C.money(v, st.currency, st.tenant && st.tenant.locale);

  // The method the debtor chose in the sheet (the gateway's default when
  // it offers one only).
  const methodOf = () => (sheet.querySelector('input[name="pay-method"]:checked') || {}).value;

  async function go(body, btn, err) {
    btn.disabled = true; err.hidden = true;
    const m = methodOf();
    if (m) body = Object.assign({ method: m }, body);
    try {
      const r = await C.api('POST', '/api/debtor/checkout', body);
      location.href = r.url;
    } catch (e) { err.textContent = C.errorText(e); err.hidden = false; btn.disabled = false; }
  }

  async function paidNotice() {
    const q = new URLSearchParams(location.search);
    const id = q.get('paid');
    if (!id) return null;
    // Wompi sends the debtor back with its transaction id: the portal asks
    // Wompi about it (the event may come later).
    const tx = q.get('id');
    try {
      const p = await C.api('GET', '/api/debtor/payments/' + encodeURIComponent(id) + (tx ? '?tx=' + encodeURIComponent(tx) : ''));
      if (p.status === 'failed') return el('p', { class: 'error', id: 'pay-failed', text: C.t('pay.failed') });
      if (p.status !== 'succeeded') return el('p', { class: 'small muted', id: 'pay-pending', text: C.t('pay.pending') });
      return el('div', { class: 'paid-notice', id: 'pay-done' },
        el('p', { class: 'ok-text', text: C.t('pay.done', { amount: C.money(p.amount, p.currency) }) }),
        el('a', { class: 'btn', href: '/api/debtor/payments/' + encodeURIComponent(id) + '/receipt.pdf', text: C.t('pay.receipt') }));
    } catch (e) { return null; }
  }

  // What can be paid now: open invoices outside a plan (a plan's invoices
  // are paid by installment, in the plan section).
  const payable = () => st.accounts.filter((a) => a.status === 'open' && !a.planId && (a.total || 0) > 0);
  const picked = () => [...document.querySelectorAll('#st-invoices .pick-box:checked')].map((b) => b.dataset.id);
  const sum = (ids) => st.accounts.filter((a) => ids.includes(a.id)).reduce((s, a) => s + a.total, 0);

  // The sticky bar and its sheet, made once per page.
  let bar, sheet;
  function ensureUI() {
    if (bar) return;
    bar = el('div', { class: 'pay-bar', id: 'pay-bar', hidden: true },
      el('div', { class: 'pay-bar-text' }, el('span', { class: 'kpi-label', id: 'pay-bar-label' }), el('strong', { id: 'pay-bar-total' })),
      el('button', { type: 'button', class: 'btn primary', id: 'pay-bar-go', text: C.t('pay.bar.go') }));
    sheet = el('dialog', { class: 'sheet', id: 'pay-sheet', 'aria-labelledby': 'pay-sheet-title' });
    document.body.append(bar, sheet);
    document.body.classList.add('has-pay-bar');
    bar.querySelector('#pay-bar-go').onclick = openSheet;
    document.addEventListener('cartera:picked', drawBar);
  }

  function drawBar() {
    const ids = picked();
    const all = payable();
    bar.hidden = all.length === 0 || st.onlinePayments === false;
    document.body.classList.toggle('has-pay-bar', !bar.hidden);
    document.getElementById('pay-bar-label').textContent = ids.length ? C.t('pay.bar.picked', { n: ids.length }) : C.t('pay.bar.all');
    document.getElementById('pay-bar-total').textContent = money(ids.length ? sum(ids) : sum(all.map((a) => a.id)));
  }

  // Paying again while money is on its way: said before the button (what
  // would exceed the debt is held as credit, never lost).
  function pendingNote() {
    const pend = st.pendingPayments || [];
    if (!pend.length) return null;
    const total = pend.reduce((s, p) => s + p.amount, 0);
    return el('p', { class: 'notice small', id: 'pay-pending-note', text: C.t('pay.pendingNote', { amount: money(total) }) });
  }

  function openSheet() {
    const ids = picked();
    const allIds = payable().map((a) => a.id);
    const err = el('p', { class: 'error', role: 'alert', hidden: true, id: 'pay-error' });
    const amount = el('input', { id: 'pay-amount', type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: C.t('pay.amountHint') });
    const option = (value, label, figure, checked, disabled) => el('label', { class: 'pay-option' + (disabled ? ' disabled' : '') },
      el('input', { type: 'radio', name: 'pay-what', value, id: 'pay-opt-' + value, checked, disabled }),
      el('span', { class: 'pay-option-text' }, el('span', { text: label }), figure ? el('strong', { text: figure }) : null));
    const confirm = el('button', { type: 'button', class: 'btn primary wide', id: 'pay-confirm' });
    const choice = () => (sheet.querySelector('input[name="pay-what"]:checked') || {}).value;
    const other = () => C.toMinor(amount.value);
    const label = () => {
      const c = choice();
      const v = c === 'all' ? sum(allIds) : c === 'picked' ? sum(ids) : other();
      confirm.textContent = v > 0 ? C.t('pay.confirm', { amount: money(v) }) : C.t('pay.confirmEmpty');
    };
    const list = el('div', { class: 'pay-options', role: 'radiogroup' },
      option('all', C.t('pay.opt.all', { n: allIds.length }), money(sum(allIds)), ids.length === 0),
      option('picked', ids.length ? C.t('pay.opt.picked', { n: ids.length }) : C.t('pay.opt.pickedNone'), ids.length ? money(sum(ids)) : '', ids.length > 0, ids.length === 0),
      option('other', C.t('pay.opt.other'), '', false),
      el('div', { class: 'pay-other', id: 'pay-other' }, amount));
    list.addEventListener('change', () => { if (choice() === 'other') amount.focus(); label(); });
    amount.addEventListener('focus', () => { sheet.querySelector('#pay-opt-other').checked = true; label(); });
    amount.addEventListener('input', label);
    confirm.onclick = () => {
      const c = choice();
      if (c === 'all') return go({}, confirm, err);
      if (c === 'picked') return go({ accountIds: ids }, confirm, err);
      const v = other();
      if (!(v > 0)) { err.textContent = C.t('pay.badAmount'); err.hidden = false; return; }
      return go({ amount: v }, confirm, err);
    };
    // How to pay: PSE, Nequi, Bancolombia (Wompi, Colombia); card, OXXO,
    // SPEI (Stripe, Mexico). Asynchronous methods say when the money counts.
    const methods = st.payMethods || [];
    const hint = el('p', { class: 'small muted', id: 'pay-method-hint' });
    const showHint = () => { hint.textContent = C.t('pay.methodHint.' + (methodOf() || methods[0])); };
    const how = methods.length > 1 ? el('fieldset', { class: 'pay-methods', id: 'pay-methods' },
      el('legend', { class: 'kpi-label', text: C.t('pay.method.title') }),
      ...methods.map((m, i) => el('label', { class: 'pay-option' },
        el('input', { type: 'radio', name: 'pay-method', value: m, id: 'pay-method-' + m, checked: i === 0 }),
        el('span', { class: 'pay-option-text' }, el('span', { text: C.t('pay.method.' + m) })))),
      hint) : null;
    if (how) how.addEventListener('change', showHint);
    const close = el('button', { type: 'button', class: 'link', id: 'pay-sheet-close', text: C.t('pay.close') });
    close.onclick = () => sheet.close();
    sheet.replaceChildren(el('div', { class: 'sheet-body' },
      el('div', { class: 'sheet-head' }, el('h2', { id: 'pay-sheet-title', text: C.t('pay.title') }), close),
      list, how, pendingNote(), err, confirm,
      el('p', { class: 'small muted', text: C.t('pay.interestNote') })));
    label();
    if (how) showHint();
    sheet.showModal();
    confirm.focus();
  }

  document.addEventListener('cartera:statement', async (ev) => {
    st = ev.detail;
    ensureUI();
    drawBar();
    const notice = await paidNotice();
    const kids = [];
    const owed = payable().length > 0;
    if (notice) kids.push(el('h2', { text: C.t('pay.title') }), notice);
    // Money on its way (an OXXO voucher, a SPEI or PSE transfer): pending,
    // not yet off the balance.
    const pend = st.pendingPayments || [];
    if (pend.length) {
      kids.push(el('h3', { text: C.t('pay.pendingTitle') }), el('ul', { class: 'pending-list', id: 'pay-pending-list' },
        ...pend.map((p) => el('li', { class: 'pending-item', 'data-id': p.id, text: C.t('pay.pendingItem', {
          amount: C.money(p.amount, p.currency, st.tenant && st.tenant.locale), method: C.t('pay.method.' + p.method), date: C.date(p.since) }) }))));
    }
    if (owed && st.onlinePayments === false) {
      // No gateway configured: no pay button, and how else to pay.
      if (!notice) kids.push(el('h2', { text: C.t('pay.title') }));
      kids.push(el('p', { class: 'notice', id: 'pay-off', text: C.t('pay.off', { company: (st.tenant && st.tenant.name) || '' }) }));
    } else if (!owed && !notice && !st.plan) {
      kids.push(el('h2', { text: C.t('pay.title') }), el('p', { class: 'ok-text', id: 'pay-nothing', text: C.t('pay.nothing') }));
    }
    sec.replaceChildren(...kids);
    sec.hidden = kids.length === 0;
    // Back from the gateway: the receipt first.
    if (notice) sec.scrollIntoView({ block: 'start' });
  });
})();
