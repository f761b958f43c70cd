// Debtor face: log in with an access code, see the statement, dispute invoices.
(function () {
  'use strict';
  const C = window.Cartera;
  const el = C.el;
  const $ = (id) => document.getElementById(id);
  const REASONS = ['not_received', 'wrong_amount', 'already_paid', 'quality', 'other'];
  let st = null; // the statement shown
  let emailMode = false; // logging in with a code sent by e-mail instead of the access code

  const money = (v) => C.money(v, st.currency, st.tenant && st.tenant.locale);
  const lateText = (n) => (n === 1 ? C.t('debtor.lateOne') : C.t('debtor.late', { n }));

  // A tenant's link (/pay/<slug>) names the company: the field goes away
  // and the page says whose account this is.
  const linked = document.body.dataset.company || '';
  async function companyFromLink() {
    if (!linked) return;
    $('d-tenant').value = linked;
    $('d-tenant-row').hidden = true;
    try {
      const t = await C.api('GET', '/api/debtor/company/' + encodeURIComponent(linked), undefined, { allow401: true });
      $('d-company').textContent = t.name;
      $('d-company').hidden = false;
    } catch (e) { $('d-tenant-row').hidden = false; }
  }

  // A payment link (/pay/<slug>#l=<token>, from an e-mail, SMS or a
  // letter's QR) opens a pay-only session with the message's invoices
  // picked. The token leaves the address bar at once.
  let offered = [];
  async function openLink() {
    const m = location.hash.match(/[#&]l=([A-Za-z0-9_-]{22})(?:&|$)/);
    if (!m || !linked) return;
    history.replaceState(null, '', location.pathname + location.search);
    try {
      const r = await C.api('POST', '/api/debtor/link', { tenant: linked, link: m[1] }, { allow401: true });
      offered = r.accounts || [];
    } catch (e) {
      $('d-error').textContent = e.status === 429 ? C.t('login.locked') : C.t('debtor.link.bad');
      $('d-error').hidden = false;
    }
  }

  // In a link session the page pays only; the code login opens the rest.
  function renderLinkNote() {
    const box = $('st-link');
    box.hidden = st.session !== 'link';
    $('st-pdf').hidden = !box.hidden; // the PDF carries the document number: code login only
    if (box.hidden) return;
    box.replaceChildren(el('span', { text: C.t('debtor.link.note') + ' ' }),
      el('button', { type: 'button', class: 'link', id: 'st-link-login', text: C.t('debtor.link.login'), onclick: async () => {
        try { await C.api('POST', '/api/debtor/logout', undefined, { allow401: true }); } catch (e) { /* ended already */ }
        location.reload();
      } }));
  }

  async function showLogin() {
    $('debtor-login').hidden = false;
    (linked ? $('d-document') : $('d-tenant')).focus();
    // Offer codes by e-mail only where the portal can send them.
    try {
      const o = await C.api('GET', '/api/debtor/login/options', undefined, { allow401: true });
      $('d-otp-row').hidden = !o.emailCode;
    } catch (e) { $('d-otp-row').hidden = true; }
  }

  function fact(label, value, cls) {
    return el('div', { class: 'fact' }, el('dt', { text: label }), el('dd', { class: cls, text: value }));
  }

  // A compact card: what it is, how late, what it costs today, and a box
  // to pick it for payment; the breakdown and the dispute link on tap.
  function invoiceCard(a) {
    const badges = el('span', { class: 'badges' },
      a.disputed ? el('span', { class: 'badge warn', text: C.t('debtor.disputed') }) : null,
      a.planId ? el('span', { class: 'badge info', text: C.t('debtor.inPlan') }) : null,
      el('span', { class: 'badge ' + (a.daysPastDue > 0 ? 'bad' : 'ok'), text: a.daysPastDue > 0 ? lateText(a.daysPastDue) : C.t('debtor.current') }));
    const total = a.total != null ? a.total : a.balance + a.interest - a.discount;
    const payable = a.status === 'open' && !a.planId && total > 0;
    const pick = payable ? el('input', { type: 'checkbox', class: 'pick-box', 'data-id': a.id, 'aria-label': C.t('debtor.pickToPay', { n: a.invoice }) }) : null;
    if (pick) pick.addEventListener('change', () => document.dispatchEvent(new CustomEvent('cartera:picked')));
    const details = el('details', { class: 'inv-details' },
      el('summary', { class: 'small', text: C.t('debtor.details') }),
      el('dl', { class: 'facts' },
        fact(C.t('debtor.col.dueDate'), C.date(a.dueDate)),
        fact(C.t('debtor.col.balance'), money(a.balance)),
        fact(C.t('debtor.col.interest'), money(a.interest)),
        fact(C.t('debtor.col.discount'), a.discount ? '−' + money(a.discount) : money(0))),
      a.disputed ? null : el('button', { type: 'button', class: 'link small', text: C.t('debtor.disputeThis'), onclick: () => pickForDispute(a.id) }));
    return el('li', { class: 'card invoice-card' + (a.disputed ? ' disputed' : '') + (a.planId ? ' in-plan' : ''), 'data-id': a.id, 'data-total': String(total) },
      el('div', { class: 'inv-row' },
        pick ? el('label', { class: 'pick' }, pick) : null,
        el('div', { class: 'inv-main' },
          el('div', { class: 'inv-head' }, el('strong', { text: C.t('debtor.invoice', { n: a.invoice }) }), badges),
          el('div', { class: 'small muted', text: C.t(a.daysPastDue > 0 ? 'debtor.dueOn' : 'debtor.dueOnFuture', { date: C.date(a.dueDate) }) })),
        el('div', { class: 'inv-total' }, el('span', { class: 'kpi-label', text: C.t('debtor.col.total') }), el('strong', { text: money(total) }))),
      details);
  }

  function pickForDispute(id) {
    document.querySelectorAll('#dispute-invoices input').forEach((c) => { c.checked = c.value === id; });
    $('dispute').scrollIntoView({ behavior: 'smooth', block: 'start' });
    $('dispute-reason').focus({ preventScroll: true });
  }

  function renderStatement() {
    $('st-company').textContent = st.tenant.name;
    $('st-greeting').textContent = C.t('debtor.hello', { name: st.debtor.name });
    $('st-asof').textContent = C.t('debtor.asOf', { date: C.date(st.asOf) });
    $('st-total').textContent = money(st.total);
    $('st-total-label').textContent = C.t(st.plan ? 'debtor.totalLabelPlan' : 'debtor.totalLabel');
    const balance = st.accounts.reduce((s, a) => s + a.balance, 0);
    $('st-breakdown').textContent = C.t('debtor.breakdown', { balance: money(balance), interest: money(st.interestTotal), discount: money(st.discountTotal) });
    $('st-invoices').replaceChildren(...(st.accounts.length ? st.accounts.map(invoiceCard) : [el('li', { class: 'card empty', text: C.t('debtor.none') })]));
    renderPlanNote();
    renderLinkNote();
    $('st-note').textContent = (st.interestTotal > 0 ? C.t('debtor.interestNote', { rate: (st.lateInterestBP / 100).toLocaleString(C.lang === 'en' ? 'en-US' : 'es-CO', { minimumFractionDigits: 2 }) }) : '') +
      (st.provisional ? ' ' + C.t('money.provisional') : '') +
      (st.paymentReference ? ' ' + C.t('money.paymentReference') + ': ' + st.paymentReference + '.' : '');
    $('statement').hidden = false;
    // The dispute form lists the invoices that are not already disputed.
    const open = st.accounts.filter((a) => !a.disputed);
    $('dispute-invoices').replaceChildren(...open.map((a) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 'accountIds', value: a.id }),
      el('span', { text: C.t('debtor.invoice', { n: a.invoice }) + ' · ' + money(a.balance) }))));
    $('dispute').hidden = open.length === 0 || st.session === 'link';
    // The payment section (pay.js) renders from the same statement.
    document.dispatchEvent(new CustomEvent('cartera:statement', { detail: st }));
    // The link's invoices start picked (those still payable).
    if (offered.length) {
      document.querySelectorAll('.pick-box').forEach((b) => { b.checked = offered.includes(b.dataset.id); });
      offered = [];
      document.dispatchEvent(new CustomEvent('cartera:picked'));
    }
  }

  // The plan's next installment, when a plan covers some invoice: pay that,
  // not the whole balance.
  function renderPlanNote() {
    const box = $('st-plan');
    const next = st.plan && st.plan.next;
    box.hidden = !next;
    if (!next) return;
    const label = next.n === 0 ? C.t('debtor.planDown') : C.t('debtor.planInstallment', { n: next.n, total: st.plan.installments });
    box.className = next.status === 'missed' ? 'alert' : 'notice ok';
    box.textContent = C.t(next.status === 'missed' ? 'debtor.planNextMissed' : 'debtor.planNext', { label, amount: money(next.amount), date: C.date(next.date) });
  }

  // Switches the login form between the access code and a code by e-mail.
  function setEmailMode(on) {
    emailMode = on;
    $('d-otp').hidden = !on;
    $('d-otp-sent').hidden = true;
    $('d-error').hidden = true;
    $('d-code').value = '';
    $('d-code-label').textContent = C.t(on ? 'debtor.otp.codeLabel' : 'debtor.code');
    $('d-login-help').textContent = C.t(on ? 'debtor.otp.intro' : 'debtor.loginHelp');
    $('d-code').setAttribute('inputmode', on ? 'numeric' : 'text');
    $('d-code').setAttribute('autocapitalize', on ? 'off' : 'characters');
    $('d-otp-toggle').textContent = C.t(on ? 'debtor.otp.back' : 'debtor.otp.toggle');
  }

  async function sendEmailCode() {
    const err = $('d-error');
    const sent = $('d-otp-sent');
    err.hidden = true;
    sent.hidden = true;
    const tenant = $('d-tenant').value.trim();
    const doc = $('d-document').value.trim();
    if (!tenant || !doc) { err.textContent = C.t('debtor.otp.needDoc'); err.hidden = false; return; }
    const btn = $('d-otp-send');
    btn.disabled = true;
    try {
      const r = await C.api('POST', '/api/debtor/login/email-code', { tenant, document: doc }, { allow401: true });
      sent.textContent = C.t('debtor.otp.sent', { minutes: Math.round(r.expiresIn / 60) });
      sent.hidden = false;
      $('d-code').focus();
    } catch (e) {
      err.textContent = e.status === 429 ? C.t('login.locked') : e.status === 422 ? C.t('debtor.otp.unavailable') : C.errorText(e);
      err.hidden = false;
    } finally {
      btn.disabled = false;
    }
  }

  function renderDisputes(items) {
    $('disputes').hidden = items.length === 0;
    $('dispute-list').replaceChildren(...items.map((d) => {
      const cls = d.status === 'accepted' ? 'ok' : d.status === 'rejected' ? 'bad' : 'info';
      return el('li', { class: 'dispute-item', 'data-id': d.id, 'data-status': d.status },
        el('div', { class: 'inv-head' }, el('strong', { text: C.t(d.invoices.length > 1 ? 'debtor.invoiceMany' : 'debtor.invoice', { n: d.invoices.join(', ') }) }), el('span', { class: 'badge ' + cls, text: C.t('debtor.status.' + d.status) })),
        el('p', { class: 'small muted', text: C.t('debtor.disputes.reasonLine', { reason: C.t('debtor.reason.' + d.reason) }) }),
        d.status === 'accepted' && d.creditAmount ? el('p', { class: 'ok-text small', text: C.t('debtor.disputes.credit', { amount: C.money(d.creditAmount, d.currency, st && st.tenant.locale) }) }) : null,
        d.attachment ? el('a', { class: 'small', href: '/api/debtor/disputes/' + encodeURIComponent(d.id) + '/attachment', text: C.t('debtor.disputes.attachment') + ' (' + d.attachment.name + ')' }) : null,
        el('ol', { class: 'timeline' }, d.history.map((h) => el('li', { class: 'event-' + h.action },
          el('div', { class: 'ev-head' }, el('strong', { text: C.t('debtor.event.' + h.action) }), el('span', { class: 'small muted', text: C.date(h.at) })),
          h.message ? el('p', { class: 'small', text: h.message }) : null))));
    }));
  }

  async function load() {
    try {
      st = await C.api('GET', '/api/debtor/statement', undefined, { allow401: true });
    } catch (e) {
      if (e.status === 401 || e.status === 403) { showLogin(); return; }
      C.toast(C.errorText(e));
      return;
    }
    // A tenant's language is its debtors' default until they choose one.
    if (!C.langChosen && st.tenant && st.tenant.locale && (st.tenant.locale.startsWith('en') ? 'en' : 'es') !== C.lang) {
      document.cookie = 'lang=' + (st.tenant.locale.startsWith('en') ? 'en' : 'es') + '; path=/; SameSite=Strict';
      location.reload();
      return;
    }
    $('debtor-login').hidden = true;
    $('logout').hidden = false;
    renderStatement();
    if (st.session === 'link') { $('disputes').hidden = true; return; }
    const ds = await C.api('GET', '/api/debtor/disputes');
    renderDisputes(ds.items);
  }

  function setupDisputeForm() {
    $('dispute-reason').replaceChildren(...REASONS.map((r) => el('option', { value: r, text: C.t('debtor.reason.' + r) })));
    $('dispute-file').addEventListener('change', () => {
      const f = $('dispute-file').files[0];
      const n = $('dispute-file-name');
      n.textContent = f ? f.name : C.t('debtor.dispute.noFile');
      n.classList.toggle('muted', !f);
    });
    $('dispute-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const err = $('dispute-error');
      err.hidden = true;
      const ids = [...document.querySelectorAll('#dispute-invoices input:checked')].map((c) => c.value);
      if (!ids.length) { err.textContent = C.t('debtor.dispute.pickOne'); err.hidden = false; return; }
      const fd = new FormData();
      ids.forEach((id) => fd.append('accountIds', id));
      fd.append('reason', $('dispute-reason').value);
      fd.append('description', $('dispute-description').value.trim());
      const f = $('dispute-file').files[0];
      if (f) fd.append('attachment', f);
      const btn = $('dispute-submit');
      btn.disabled = true;
      try {
        await C.api('POST', '/api/debtor/disputes', fd);
        $('dispute-form').reset();
        $('dispute-file-name').textContent = C.t('debtor.dispute.noFile');
        $('dispute-file-name').classList.add('muted');
        C.toast(C.t('debtor.dispute.sent'));
        await load();
        $('disputes').scrollIntoView({ behavior: 'smooth', block: 'start' });
      } catch (e) {
        err.textContent = e.status === 415 ? C.t('debtor.dispute.badFile') : e.status === 413 ? C.t('debtor.dispute.tooLarge') : C.errorText(e);
        err.hidden = false;
      } finally {
        btn.disabled = false;
      }
    });
  }

  C.ready.then(() => {
    $('debtor-login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const err = $('d-error');
      err.hidden = true;
      try {
        const body = { tenant: $('d-tenant').value.trim(), document: $('d-document').value.trim() };
        body[emailMode ? 'emailCode' : 'code'] = $('d-code').value.trim();
        await C.api('POST', '/api/debtor/login', body, { allow401: true });
        $('d-code').value = '';
        await load();
      } catch (e) {
        err.textContent = e.status === 401 ? C.t(emailMode ? 'debtor.otp.bad' : 'debtor.bad') : e.status === 429 ? C.t('login.locked') : C.errorText(e);
        err.hidden = false;
      }
    });
    $('d-otp-toggle').addEventListener('click', () => setEmailMode(!emailMode));
    $('d-otp-send').addEventListener('click', sendEmailCode);
    $('logout').addEventListener('click', async () => {
      try { await C.api('POST', '/api/debtor/logout', undefined, { allow401: true }); } catch (e) { /* gone already */ }
      location.reload();
    });
    setupDisputeForm();
    document.addEventListener('cartera:reload', () => load());
    companyFromLink().then(openLink).finally(load);
  });
})();
