// Debtor face, commitments: installment plans (offers with their schedule,
// acceptance over the terms, the current plan and its "pay installment N"
// button), a promise to pay, and contact preferences. Rendered after the
// payment section from the same 'cartera:statement' event.
(function () {
  'use strict';
  const C = window.Cartera;
  const el = C.el;
  const CHANNELS = ['call', 'email', 'whatsapp', 'sms', 'visit', 'letter'];
  let st = null;

  const money = (v) => C.money(v, st.currency, st.tenant && st.tenant.locale);
  const instName = (n) => (n === 0 ? C.t('plans.down') : C.t('plans.installment', { n }));

  // The three sections live after #pay; made once.
  function section(id, after) {
    let s = document.getElementById(id);
    if (!s) {
      s = el('section', { id, class: 'card commit', hidden: true });
      after.after(s);
    }
    return s;
  }

  function scheduleList(rows, withStatus) {
    return el('ol', { class: 'schedule' }, rows.map((r) => el('li', { class: 'sched-row' + (r.status ? ' is-' + r.status : ''), 'data-n': String(r.n) },
      el('span', { class: 'sched-name', text: instName(r.n) }),
      el('span', { class: 'sched-date small muted', text: C.date(r.date) }),
      el('span', { class: 'sched-amount', text: money(r.amount) }),
      withStatus ? el('span', { class: 'badge ' + (r.status === 'paid' || r.status === 'covered' ? 'ok' : r.status === 'missed' ? 'bad' : 'info'), text: C.t('plans.status.' + r.status) }) : null)));
  }

  async function payInstallment(plan, n, btn, err) {
    btn.disabled = true; err.hidden = true;
    try {
      const r = await C.api('POST', '/api/debtor/checkout', { planId: plan.id, installment: n });
      location.href = r.url;
    } catch (e) { err.textContent = C.errorText(e); err.hidden = false; btn.disabled = false; }
  }

  function renderCurrent(sec, plan) {
    const next = plan.schedule.find((r) => r.status === 'due' || r.status === 'missed');
    const err = el('p', { class: 'error', role: 'alert', hidden: true });
    const kids = [
      el('h2', { text: C.t('plans.currentTitle') }),
      el('p', { class: 'small muted', text: C.t('plans.currentHelp') }),
      el('dl', { class: 'facts' },
        el('div', { class: 'fact' }, el('dt', { text: C.t('plans.total') }), el('dd', { text: money(plan.total) })),
        el('div', { class: 'fact' }, el('dt', { text: C.t('plans.paid') }), el('dd', { text: money(plan.paid) })),
        el('div', { class: 'fact' }, el('dt', { text: C.t('plans.remaining') }), el('dd', { class: 'big', text: money(plan.remaining) }))),
      scheduleList(plan.schedule, true),
    ];
    if (next && st && st.onlinePayments === false) {
      kids.push(el('p', { class: 'small muted', id: 'plan-pay-off', text: C.t('plans.payOff') }));
    } else if (next) {
      const btn = el('button', { type: 'button', class: 'btn primary wide', id: 'plan-pay', 'data-n': String(next.n),
        text: next.n === 0 ? C.t('plans.payDown', { amount: money(next.amount) }) : C.t('plans.pay', { n: next.n, amount: money(next.amount) }) });
      btn.onclick = () => payInstallment(plan, next.n, btn, err);
      kids.push(btn, err);
    }
    sec.id = 'plans';
    sec.replaceChildren(...kids);
    sec.dataset.state = 'current';
    sec.hidden = false;
  }

  function renderOffers(sec, offers) {
    if (!offers.length) { sec.hidden = true; return; }
    const terms = el('p', { class: 'terms small', id: 'plan-terms' });
    const check = el('input', { type: 'checkbox', id: 'plan-accept-check' });
    const accept = el('button', { type: 'button', class: 'btn primary wide', id: 'plan-accept', disabled: true, text: C.t('plans.accept') });
    const err = el('p', { class: 'error', role: 'alert', hidden: true });
    let chosen = null;
    const pick = (o, li) => {
      chosen = o;
      li.append(box); // the terms right under the chosen offer
      terms.textContent = o.terms;
      check.checked = false;
      accept.disabled = true;
      box.hidden = false;
    };
    const cards = offers.map((o) => {
      const radio = el('input', { type: 'radio', name: 'plan-offer', value: o.id });
      const li = el('li', { class: 'plan-offer', 'data-installments': String(o.installments) },
        el('label', { class: 'offer-head' }, radio,
          el('span', {},
            el('strong', { text: C.t('plans.offerTitle', { n: o.installments, amount: money(o.installmentAmount) }) }),
            el('span', { class: 'small muted', text: (o.downPayment ? C.t('plans.offerDown', { amount: money(o.downPayment) }) + ' · ' : '') + C.t('plans.offerTotal', { amount: money(o.total) }) }))),
        // The schedule on tap: four offers in full are several phone screens.
        el('details', { class: 'offer-schedule' }, el('summary', { class: 'small', text: C.t('plans.showSchedule') }),
          scheduleList((o.downPayment ? [{ n: 0, date: st.asOf, amount: o.downPayment }] : []).concat(o.schedule), false)));
      radio.addEventListener('change', () => { li.querySelector('.offer-schedule').open = true; pick(o, li); });
      return li;
    });
    check.addEventListener('change', () => { accept.disabled = !check.checked || !chosen; });
    accept.onclick = async () => {
      if (!chosen || !check.checked) return;
      accept.disabled = true; err.hidden = true;
      try {
        const plan = await C.api('POST', '/api/debtor/plans', { offerId: chosen.id, accept: true });
        C.toast(C.t('plans.accepted'));
        // Reload the statement: it marks the plan's invoices and shows the
        // next installment, and this section re-renders with the plan.
        if (plan) document.dispatchEvent(new CustomEvent('cartera:reload'));
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; accept.disabled = false; }
    };
    const box = el('div', { class: 'terms-box', hidden: true },
      el('h3', { text: C.t('plans.termsTitle') }), terms,
      el('label', { class: 'check' }, check, el('span', { text: C.t('plans.acceptCheck') })), accept, err);
    sec.replaceChildren(el('h2', { text: C.t('plans.title') }), el('p', { class: 'small muted', text: C.t('plans.help') }),
      el('ul', { class: 'plan-offers' }, cards));
    sec.dataset.state = 'offers';
    sec.hidden = false;
  }

  async function renderPlans(sec) {
    try {
      renderCurrent(sec, await C.api('GET', '/api/debtor/plans/current'));
      return;
    } catch (e) {
      if (e.status !== 404) { sec.hidden = true; return; }
    }
    try { renderOffers(sec, await C.api('GET', '/api/debtor/plan-offers')); } catch (e) { sec.hidden = true; }
  }

  function renderPromise(sec, owed) {
    if (owed <= 0) { sec.hidden = true; return; }
    const amount = el('input', { id: 'promise-amount', type: 'number', min: '1', step: '0.01', inputmode: 'decimal', required: true });
    const date = el('input', { id: 'promise-date', type: 'date', min: st.asOf, required: true });
    const err = el('p', { class: 'error', role: 'alert', hidden: true });
    const ok = el('p', { class: 'ok-text', id: 'promise-done', hidden: true });
    const btn = el('button', { type: 'submit', class: 'btn wide', text: C.t('plans.promise.submit') });
    const form = el('form', { id: 'promise-form', novalidate: true },
      el('label', {}, el('span', { text: C.t('plans.promise.amount') }), amount),
      el('label', {}, el('span', { text: C.t('plans.promise.date') }), date), err, ok, btn);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true; ok.hidden = true;
      const v = Math.round(parseFloat(String(amount.value).replace(',', '.')) * 100);
      if (!(v > 0) || !date.value) { err.textContent = C.t('plans.promise.incomplete'); err.hidden = false; return; }
      btn.disabled = true;
      try {
        await C.api('POST', '/api/debtor/promises', { amount: v, date: date.value });
        ok.textContent = C.t('plans.promise.done', { amount: money(v), date: C.date(date.value) });
        ok.hidden = false;
        form.reset();
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; } finally { btn.disabled = false; }
    });
    sec.replaceChildren(el('h2', { text: C.t('plans.promise.title') }), el('p', { class: 'small muted', text: C.t('plans.promise.help') }), form);
    sec.hidden = false;
  }

  async function renderPrefs(sec) {
    let prefs;
    try { prefs = await C.api('GET', '/api/debtor/preferences'); } catch (e) { sec.hidden = true; return; }
    const boxes = CHANNELS.map((ch) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 'channel', value: ch, checked: !!prefs.channels[ch] }),
      el('span', { text: C.t('plans.channel.' + ch) })));
    const from = el('input', { type: 'time', id: 'prefs-from', value: (prefs.hours && prefs.hours.from) || '' });
    const to = el('input', { type: 'time', id: 'prefs-to', value: (prefs.hours && prefs.hours.to) || '' });
    const err = el('p', { class: 'error', role: 'alert', hidden: true });
    const btn = el('button', { type: 'submit', class: 'btn wide', text: C.t('plans.prefs.submit') });
    const form = el('form', { id: 'prefs-form', novalidate: true },
      el('fieldset', { class: 'pick' }, el('legend', { text: C.t('plans.prefs.channels') }), boxes),
      el('fieldset', { class: 'hours' }, el('legend', { text: C.t('plans.prefs.hours') }),
        el('label', {}, el('span', { text: C.t('plans.prefs.from') }), from),
        el('label', {}, el('span', { text: C.t('plans.prefs.to') }), to)), err, btn);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const channels = {};
      form.querySelectorAll('input[name=channel]').forEach((c) => { channels[c.value] = c.checked; });
      btn.disabled = true;
      try {
        await C.api('PUT', '/api/debtor/preferences', { channels, hours: { from: from.value, to: to.value } });
        C.toast(C.t('plans.prefs.saved'));
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; } finally { btn.disabled = false; }
    });
    sec.replaceChildren(el('h2', { text: C.t('plans.prefs.title') }), el('p', { class: 'small muted', text: C.t('plans.prefs.help') }), form);
    sec.hidden = false;
  }

  document.addEventListener('cartera:statement', (ev) => {
    st = ev.detail;
    const pay = document.getElementById('pay');
    const plans = section('plans', pay);
    const promise = section('promise', plans);
    const prefs = section('prefs', promise);
    // A payment link's session pays only; plans, promises and preferences
    // need the access code.
    if (st.session === 'link') { plans.hidden = promise.hidden = prefs.hidden = true; return; }
    const owed = st.accounts.filter((a) => a.status === 'open' && !a.disputed).reduce((s, a) => s + a.balance, 0);
    renderPlans(plans);
    renderPromise(promise, owed);
    renderPrefs(prefs);
  });
})();
