(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');

  function tenantCard() {
    const list = el('tbody', {}, C.tenants.map((t) => el('tr', {},
      el('td', {}, el('strong', { text: t.name }), el('div', { class: 'muted small', text: t.slug }),
        t.debtorUrl ? el('a', { class: 'small', href: t.debtorUrl, text: C.t('tenant.debtorUrl') + ': ' + t.debtorUrl.replace(/^https?:\/\//, '') }) : null),
      el('td', { text: t.country }), el('td', { text: t.currency }), el('td', { text: t.timezone }),
      el('td', { class: 'num', text: (t.commissionRate * 100).toFixed(2) + ' %' }))));
    const card = el('section', { class: 'card', id: 'tenants' },
      el('h2', { text: C.t('manager.tenants') }),
      C.tenants.length ? el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {}, ['tenant.name', 'tenant.country', 'tenant.currency', 'tenant.timezone', 'tenant.commission'].map((k, i) => el('th', { class: i === 4 ? 'num' : '', text: C.t(k) })))),
        list)) : el('p', { class: 'empty', text: C.t('manager.noTenants') }));
    if (C.me.role === 'admin') card.append(newTenantForm());
    return card;
  }

  function newTenantForm() {
    const err = el('p', { class: 'error', hidden: true });
    const f = el('form', { id: 'new-tenant', class: 'grid two' },
      el('label', {}, C.t('tenant.slug'), el('input', { name: 'slug', required: true, pattern: '[a-z0-9-]+' })),
      el('label', {}, C.t('tenant.name'), el('input', { name: 'name', required: true })),
      el('label', {}, C.t('tenant.country'), el('select', { name: 'country' }, ['CO', 'MX', 'PE', 'US'].map((c) => el('option', { value: c, text: c })))),
      el('label', {}, C.t('tenant.commission') + ' (%)', el('input', { name: 'commission', type: 'number', step: '0.01', min: '0', max: '100', value: '15' })),
      err, el('div', {}, el('button', { class: 'btn primary', type: 'submit', text: C.t('manager.createTenant') })));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      try {
        await C.api('POST', '/api/tenants', { slug: d.get('slug'), name: d.get('name'), country: d.get('country'), commissionRate: Number(d.get('commission')) / 100 });
        localStorage.setItem('tenant', d.get('slug'));
        location.reload();
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; }
    };
    return el('details', {}, el('summary', { text: C.t('manager.createTenant') }), f);
  }

  async function usersCard() {
    const card = el('section', { class: 'card', id: 'users' }, el('h2', { text: C.t('manager.users') }));
    if (!C.tenant) return card;
    const res = await C.api('GET', '/api/tenants/' + encodeURIComponent(C.tenant) + '/users');
    card.append(res.items.length ? el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { text: C.t('user.name') }), el('th', { text: C.t('user.email') }), el('th', { text: C.t('user.role') }))),
      el('tbody', {}, res.items.map((u) => el('tr', {}, el('td', { text: u.name }), el('td', { text: u.email }),
        el('td', {}, el('span', { class: 'badge', text: C.t('role.' + u.role) }))))))) : el('p', { class: 'empty', text: C.t('manager.noUsers') }));
    const err = el('p', { class: 'error', hidden: true });
    const f = el('form', { id: 'new-user', class: 'grid two' },
      el('label', {}, C.t('user.name'), el('input', { name: 'name', required: true })),
      el('label', {}, C.t('user.email'), el('input', { name: 'email', type: 'email', required: true })),
      el('label', {}, C.t('user.role'), el('select', { name: 'role' }, ['collector', 'client', 'manager'].map((r) => el('option', { value: r, text: C.t('role.' + r) })))),
      el('label', {}, C.t('user.password'), el('input', { name: 'password', type: 'password', minlength: '10', required: true, autocomplete: 'new-password' })),
      err, el('div', {}, el('button', { class: 'btn primary', type: 'submit', text: C.t('manager.createUser') })));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      try {
        await C.api('POST', '/api/tenants/' + encodeURIComponent(C.tenant) + '/users', { name: d.get('name'), email: d.get('email'), role: d.get('role'), password: d.get('password') });
        C.toast(C.t('manager.userCreated')); render();
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; }
    };
    card.append(el('details', {}, el('summary', { text: C.t('manager.createUser') }), f));
    return card;
  }

  // --- sections: #/ tenants and users, #/policy, #/outbox, #/bureau --------
  const M = (k, v) => C.t('mgr.' + k, v);
  const enc = encodeURIComponent;
  const tbase = () => '/api/tenants/' + enc(C.tenant);
  const sections = ['home', 'policy', 'caps', 'outbox', 'bureau'];
  // Sections kept in their own files (assign.js) register here before the
  // first render: C.managerSections[name] = async () => card.
  C.managerSections = C.managerSections || {};
  const all = () => sections.concat(Object.keys(C.managerSections));

  function tabs(current) {
    return el('nav', { class: 'letter-links', id: 'manager-tabs', 'aria-label': M('tabs') },
      all().map((s) => el('a', { class: 'btn' + (s === current ? ' primary' : ''), href: '#/' + (s === 'home' ? '' : s), id: 'tab-' + s,
        'aria-current': s === current ? 'page' : null, text: M('tab.' + s) })));
  }

  // A number input bound to a path of the policy; scale converts what people
  // type (percent) to what is stored (basis points).
  function numField(pol, path, label, opts) {
    const o = opts || {};
    const get = () => path.split('.').reduce((x, k) => (x == null ? x : x[k]), pol);
    const set = (v) => { const ks = path.split('.'); let x = pol; ks.slice(0, -1).forEach((k) => { x[k] = x[k] || {}; x = x[k]; }); x[ks[ks.length - 1]] = v; };
    const scale = o.scale || 1;
    const v = get();
    const input = el('input', { type: 'number', step: o.step || '1', min: o.min, name: path, 'data-field': path,
      value: v == null ? '' : String(v / scale) });
    input.addEventListener('input', () => { set(input.value === '' ? 0 : Math.round(Number(input.value) * scale)); });
    return el('label', {}, label, input, el('small', { class: 'error field-error', 'data-error-for': path, hidden: true }));
  }

  function stepRow(pol, i, redraw) {
    const st = pol.steps[i];
    const at = (f) => 'steps[' + i + '].' + f;
    const errFor = (f) => el('small', { class: 'error field-error', 'data-error-for': at(f), hidden: true });
    const day = el('input', { type: 'number', name: at('day'), 'data-field': at('day'), value: String(st.day), step: '1', class: 'day-input', 'aria-label': M('policy.day') });
    day.addEventListener('input', () => { st.day = Number(day.value); });
    const channel = el('select', { name: at('channel'), 'data-field': at('channel'), 'aria-label': M('policy.channel') },
      ['call', 'email', 'whatsapp', 'sms', 'visit', 'letter', 'statement', 'credit_suspension', 'final_notice', 'legal']
        .map((c) => el('option', { value: c, text: C.t('work.channel.' + c), selected: c === st.channel })));
    channel.addEventListener('change', () => { st.channel = channel.value; });
    const auto = el('input', { type: 'checkbox', name: at('automatic'), 'data-field': at('automatic'), checked: !!st.automatic, 'aria-label': M('policy.automatic') });
    auto.addEventListener('change', () => { st.automatic = auto.checked; });
    const tpl = el('input', { name: at('template'), 'data-field': at('template'), value: st.template || '', 'aria-label': M('policy.template') });
    tpl.addEventListener('input', () => { st.template = tpl.value; });
    const label = el('input', { name: at('label'), value: st.label || '', 'aria-label': M('policy.label') });
    label.addEventListener('input', () => { st.label = label.value; });
    const del = el('button', { type: 'button', class: 'btn danger-outline', text: '×', title: M('policy.remove'), 'aria-label': M('policy.remove') });
    del.onclick = () => { pol.steps.splice(i, 1); redraw(); };
    return el('tr', { 'data-step': String(i) },
      el('td', { 'data-label': M('policy.day') }, day, errFor('day')),
      el('td', { 'data-label': M('policy.channel') }, channel, errFor('channel')),
      el('td', { 'data-label': M('policy.automatic') }, auto, errFor('automatic')),
      el('td', { 'data-label': M('policy.template') }, tpl, errFor('template')),
      el('td', { 'data-label': M('policy.label') }, label, errFor('label')),
      el('td', {}, del));
  }

  async function policyCard() {
    const card = el('section', { class: 'card', id: 'policy' }, el('h2', { text: M('policy.title') }));
    if (!C.tenant) return card;
    const pol = await C.api('GET', tbase() + '/policy');
    pol.steps = pol.steps || []; pol.settlement = pol.settlement || []; pol.plans = pol.plans || {}; pol.promises = pol.promises || {}; pol.earlyPayment = pol.earlyPayment || {};
    const body = el('tbody', { id: 'policy-steps' });
    const redraw = () => body.replaceChildren(...pol.steps.map((_, i) => stepRow(pol, i, redraw)));
    redraw();
    const add = el('button', { type: 'button', class: 'btn', id: 'policy-add-step', text: M('policy.addStep') });
    add.onclick = () => { const last = pol.steps[pol.steps.length - 1]; pol.steps.push({ day: last ? last.day + 15 : 0, channel: 'call', template: 'follow_up_call', automatic: false, label: '' }); redraw(); };
    const tiers = el('tbody', { id: 'policy-tiers' });
    const redrawTiers = () => tiers.replaceChildren(...pol.settlement.map((t, i) => {
      const del = el('button', { type: 'button', class: 'btn danger-outline', text: '×', 'aria-label': M('policy.remove') });
      del.onclick = () => { pol.settlement.splice(i, 1); redrawTiers(); };
      return el('tr', {}, el('td', {}, numField(t, 'minDaysPastDue', M('policy.tier.days'))),
        el('td', {}, numField(t, 'percentBP', M('policy.tier.percent'), { scale: 100, step: '0.01' })), el('td', {}, del));
    }));
    redrawTiers();
    // Field errors of the tiers carry the server's path; label them after the fact.
    const tierErrPaths = () => tiers.querySelectorAll('tr').forEach((tr, i) => tr.querySelectorAll('[data-error-for]').forEach((e) => {
      e.dataset.errorFor = 'settlement[' + i + '].' + e.dataset.errorFor.split('.').pop();
    }));
    const addTier = el('button', { type: 'button', class: 'btn', text: M('policy.addTier') });
    addTier.onclick = () => { pol.settlement.push({ minDaysPastDue: 90, percentBP: 1000, maxAmount: 0 }); redrawTiers(); };
    const msg = el('p', { class: 'error', id: 'policy-error', role: 'alert', hidden: true });
    const save = el('button', { type: 'submit', class: 'btn primary', id: 'policy-save', text: M('policy.save') });
    const start = el('select', { id: 'policy-ladder-start', name: 'ladderStart', 'data-field': 'ladderStart' },
      ['due', 'placement'].map((v) => el('option', { value: v, text: M('policy.start.' + v), selected: (pol.ladderStart || 'due') === v })));
    start.addEventListener('change', () => { pol.ladderStart = start.value; });
    const wa = el('input', { type: 'checkbox', id: 'policy-whatsapp', name: 'whatsAppAllowed', checked: !!pol.whatsAppAllowed });
    wa.addEventListener('change', () => { pol.whatsAppAllowed = wa.checked; });
    const form = el('form', { id: 'policy-form', novalidate: true },
      el('h3', { text: M('policy.steps') }), el('p', { class: 'muted small', text: M('policy.stepsHint') }),
      el('label', {}, M('policy.start'), start,
        el('small', { class: 'muted', text: M('policy.start.hint') }),
        el('small', { class: 'error field-error', 'data-error-for': 'ladderStart', hidden: true })),
      el('label', { class: 'check' }, wa, el('span', { text: M('policy.whatsapp') })),
      el('small', { class: 'muted', text: M('policy.whatsapp.hint') }),
      el('div', { class: 'table-wrap' }, el('table', { class: 'stack' },
        el('thead', {}, el('tr', {}, ['day', 'channel', 'automatic', 'template', 'label'].map((k) => el('th', { text: M('policy.' + k) })), el('th', {}))),
        body)),
      add,
      el('h3', { text: M('policy.money') }),
      el('div', { class: 'grid two' },
        numField(pol, 'lateInterestBP', M('policy.interest'), { scale: 100, step: '0.01', min: '0' }),
        numField(pol, 'graceDays', M('policy.graceDays'), { min: '0' }),
        numField(pol, 'earlyPayment.daysBefore', M('policy.early.days'), { min: '0' }),
        numField(pol, 'earlyPayment.percentBP', M('policy.early.percent'), { scale: 100, step: '0.01', min: '0' })),
      el('h3', { text: M('policy.settlement') }),
      el('div', { class: 'table-wrap' }, el('table', {}, tiers)), addTier,
      el('h3', { text: M('policy.plans') }), el('small', { class: 'error field-error', 'data-error-for': 'plans', hidden: true }),
      el('div', { class: 'grid two' },
        numField(pol, 'plans.maxInstallments', M('policy.plans.max'), { min: '1' }),
        numField(pol, 'plans.minDownPaymentBP', M('policy.plans.down'), { scale: 100, step: '0.01', min: '0' }),
        numField(pol, 'plans.monthlyRateBP', M('policy.plans.rate'), { scale: 100, step: '0.01', min: '0' }),
        numField(pol, 'plans.maxTermDays', M('policy.plans.term'), { min: '0' }),
        numField(pol, 'plans.minDownPayment', M('policy.plans.downMin'), { scale: 100, step: '0.01', min: '0' }),
        numField(pol, 'plans.minInstallment', M('policy.plans.instMin'), { scale: 100, step: '0.01', min: '0' }),
        numField(pol, 'plans.intervalDays', M('policy.plans.interval'), { min: '0' }),
        numField(pol, 'plans.graceDays', M('policy.plans.grace'), { min: '0' }),
        numField(pol, 'plans.maxMissed', M('policy.plans.missed'), { min: '0' })),
      el('h3', { text: M('policy.promises') }),
      el('div', { class: 'grid two' },
        numField(pol, 'promises.maxDaysAhead', M('policy.promises.days'), { min: '1' }),
        numField(pol, 'promises.graceDays', M('policy.promises.grace'), { min: '0' })),
      msg, el('div', { class: 'actions' }, save));
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      tierErrPaths();
      msg.hidden = true;
      form.querySelectorAll('.field-error').forEach((e) => { e.hidden = true; e.textContent = ''; });
      form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
      try {
        await C.api('PUT', tbase() + '/policy', pol);
        C.toast(M('policy.saved'));
      } catch (e) {
        const fields = (e.data && e.data.fields) || {};
        const unplaced = [];
        for (let [k, v] of Object.entries(fields)) {
          // Rates are typed in percent here; the server speaks basis points.
          const pct = k.match(/^(lateInterestBP|earlyPayment\.percentBP|plans\.(minDownPaymentBP|monthlyRateBP)|settlement\[\d+\]\.percentBP)$/);
          if (pct) v = M('policy.err.' + k.replace(/\[\d+\]/, '').replace(/\./g, '_'));
          const box = form.querySelector('[data-error-for="' + CSS.escape(k) + '"]');
          if (box) { box.textContent = v; box.hidden = false; } else unplaced.push(k + ': ' + v);
          const input = form.querySelector('[data-field="' + CSS.escape(k) + '"]');
          if (input) input.setAttribute('aria-invalid', 'true');
        }
        msg.textContent = Object.keys(fields).length ? M('policy.fix', { n: Object.keys(fields).length }) + (unplaced.length ? ' ' + unplaced.join('; ') : '') : C.errorText(e);
        msg.hidden = false;
      }
    };
    card.append(el('p', { class: 'muted small', id: 'policy-state', text: pol.default ? M('policy.default') : M('policy.updated', { date: C.date(pol.updatedAt) }) }), form, testForm(pol));
    return card;
  }

  // testForm starts a strategy test with the policy as edited above as the
  // challenger, on a share of the accounts placed from now on; the report
  // and the promote/stop buttons are on the dashboard.
  function testForm(pol) {
    const name = el('input', { id: 'test-name', name: 'name', required: true, maxlength: '80' });
    const share = el('input', { id: 'test-share', name: 'share', type: 'number', min: '1', max: '99', step: '1', value: '20' });
    const msg = el('p', { class: 'error', id: 'test-error', role: 'alert', hidden: true });
    const form = el('form', { id: 'policy-test-form', novalidate: true },
      el('h3', { text: M('test.title') }), el('p', { class: 'muted small', text: M('test.hint') }),
      el('div', { class: 'grid two' }, el('label', {}, M('test.name'), name), el('label', {}, M('test.share'), share)),
      msg, el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'btn', id: 'test-start', text: M('test.start') })));
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      msg.hidden = true;
      const challenger = Object.assign({}, pol);
      delete challenger.default; delete challenger.updatedAt; delete challenger.updatedBy;
      try {
        await C.api('POST', tbase() + '/strategy-tests', { name: name.value, share: Number(share.value) / 100, challenger });
        C.toast(M('test.started'));
      } catch (e) {
        const fields = (e.data && e.data.fields) || {};
        msg.textContent = e.status === 409 ? M('test.running') : [C.errorText(e)].concat(Object.values(fields)).join(' ');
        msg.hidden = false;
      }
    };
    return form;
  }

  const statusClass = { sent: 'ok', queued: 'info', sending: 'info', deferred: 'warn', held: 'warn', failed: 'bad' };
  async function outboxCard() {
    const card = el('section', { class: 'card', id: 'outbox' }, el('h2', { text: M('outbox.title') }), el('p', { class: 'muted small', text: M('outbox.hint') }));
    if (!C.tenant) return card;
    const filter = el('select', { id: 'outbox-status', name: 'status' },
      ['', 'failed', 'deferred', 'held', 'queued', 'sending', 'sent'].map((v) => el('option', { value: v, text: M('outbox.status.' + (v || 'all')) })));
    const box = el('div', { id: 'outbox-list' });
    const load = async () => {
      const res = await C.api('GET', tbase() + '/outbox?limit=100' + (filter.value ? '&status=' + enc(filter.value) : ''));
      const cols = ['created', 'account', 'channel', 'status', 'attempts', 'next', 'why'].map((k) => M('outbox.col.' + k));
      box.replaceChildren(res.items.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'outbox-table' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 4 ? 'num' : '', text: c })))),
        el('tbody', {}, res.items.map((m) => el('tr', { class: m.status === 'failed' ? 'top' : '', 'data-status': m.status },
          el('td', { 'data-label': cols[0], text: C.date(m.createdAt) }),
          el('td', { 'data-label': cols[1] }, el('strong', { text: m.accountId }), el('div', { class: 'muted small', text: m.subject || '' })),
          el('td', { 'data-label': cols[2], text: C.t('work.channel.' + m.channel) }),
          el('td', { 'data-label': cols[3] }, el('span', { class: 'badge ' + (statusClass[m.status] || 'info'), text: M('outbox.status.' + m.status) })),
          el('td', { 'data-label': cols[4], class: 'num', text: String(m.attempts || 0) }),
          el('td', { 'data-label': cols[5], text: ['sent', 'failed', 'held'].includes(m.status) ? '' : C.date(m.nextAttemptAt) }),
          el('td', { 'data-label': cols[6] },
            m.lastError ? el('div', { class: 'error small', text: M('outbox.error', { error: m.lastError }) }) : null,
            m.reason ? el('div', { class: 'small', text: m.reason }) : null))))))
        : el('p', { class: 'empty', id: 'outbox-empty', text: M('outbox.empty') }));
    };
    filter.addEventListener('change', () => load().catch((e) => C.toast(C.errorText(e))));
    card.append(el('div', { class: 'filters' }, el('label', {}, M('outbox.filter'), filter)), box);
    await load();
    return card;
  }

  const bureauClass = { reportable: 'bad', waiting: 'warn', notice_missing: 'info', blocked: 'ok' };
  async function bureauCard() {
    const card = el('section', { class: 'card', id: 'bureau' }, el('h2', { text: M('bureau.title') }), el('p', { class: 'muted small', text: M('bureau.hint') }));
    if (!C.tenant) return card;
    const err = el('p', { class: 'error', id: 'bureau-error', role: 'alert', hidden: true });
    const invoice = el('input', { id: 'bureau-invoice', name: 'invoice', required: true, autocomplete: 'off' });
    const channel = el('select', { id: 'bureau-channel', name: 'channel' }, ['letter', 'email'].map((c) => el('option', { value: c, text: C.t('work.channel.' + c) })));
    const form = el('form', { id: 'bureau-form', class: 'grid two', novalidate: true },
      el('label', {}, M('bureau.invoice'), invoice), el('label', {}, M('bureau.channel'), channel), err,
      el('div', {}, el('button', { class: 'btn primary', type: 'submit', id: 'bureau-send', text: M('bureau.send') })));
    const box = el('div', { id: 'bureau-list' });
    form.onsubmit = async (ev) => {
      ev.preventDefault(); err.hidden = true;
      try {
        await C.api('POST', tbase() + '/accounts/' + enc(invoice.value.trim()) + '/bureau-notices', { channel: channel.value });
        C.toast(M('bureau.sent')); invoice.value = ''; await load();
      } catch (e) { err.textContent = e.status === 404 ? M('bureau.notFound') : C.errorText(e); err.hidden = false; }
    };
    const load = async () => {
      const res = await C.api('GET', tbase() + '/bureau');
      const cols = ['account', 'balance', 'notices', 'status', 'why'].map((k) => M('bureau.col.' + k));
      box.replaceChildren(res.items.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'bureau-table' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 1 ? 'num' : '', text: c })))),
        el('tbody', {}, res.items.map((it) => el('tr', { 'data-status': it.status, 'data-account': it.accountId },
          el('td', { 'data-label': cols[0] }, el('strong', { text: it.invoice }), el('div', { class: 'muted small', text: it.debtorName + ' · ' + it.document })),
          el('td', { 'data-label': cols[1], class: 'num' }, C.money(it.balance, it.currency), it.smallDebt ? el('div', { class: 'muted small', text: M('bureau.small') }) : null),
          el('td', { 'data-label': cols[2] }, el('ul', { class: 'reasons' }, it.notices.map((n) => el('li', {
            text: C.t('work.channel.' + n.channel) + ' · ' + (n.counted ? C.date(n.date) : M('outbox.status.' + (n.status || 'queued'))) })))),
          el('td', { 'data-label': cols[3] }, el('span', { class: 'badge ' + (bureauClass[it.status] || 'info'), text: M('bureau.status.' + it.status) }),
            it.reportFrom ? el('div', { class: 'muted small', text: M('bureau.from', { date: C.date(it.reportFrom) }) }) : null),
          el('td', { 'data-label': cols[4], class: 'small', text: it.reason }))))))
        : el('p', { class: 'empty', id: 'bureau-empty', text: M('bureau.empty') }));
    };
    card.append(el('details', { id: 'bureau-new' }, el('summary', { text: M('bureau.new') }), form), box,
      el('div', { class: 'actions' }, el('a', { class: 'btn', id: 'bureau-export', href: tbase() + '/bureau/export.csv', text: M('bureau.export') })));
    try { await load(); } catch (e) {
      if (e.status === 422) { card.replaceChildren(card.firstChild, el('p', { class: 'empty', text: e.message })); return card; }
      throw e;
    }
    return card;
  }

  // The legal caps on late interest per country (the usury table): what is
  // in force, until when the table is certified, and a CSV to add months.
  function tenantCountry() {
    const t = C.tenants.find((x) => x.slug === C.tenant);
    return (t && t.country) || 'CO';
  }
  async function capsStale() {
    try {
      const st = await C.api('GET', '/api/caps/' + enc(tenantCountry()));
      return st.stale ? el('p', { class: 'error', id: 'caps-stale', role: 'alert' }, C.t('caps.stale') + ' ',
        el('a', { href: '#/caps', text: C.t('caps.title') })) : null;
    } catch (e) { return null; }
  }
  async function capsCard() {
    const card = el('section', { class: 'card', id: 'caps' }, el('h2', { text: C.t('caps.title') }));
    const country = el('select', { id: 'caps-country', name: 'country' }, ['CO', 'MX', 'PE', 'US'].map((c) => el('option', { value: c, text: c, selected: c === tenantCountry() })));
    const box = el('div', { id: 'caps-table' });
    const err = el('p', { class: 'error', id: 'caps-error', role: 'alert', hidden: true });
    const file = el('input', { type: 'file', id: 'caps-file', accept: '.csv,text/csv' });
    const load = async () => {
      const st = await C.api('GET', '/api/caps/' + enc(country.value));
      const cols = ['from', 'to', 'rate', 'source'].map((k) => M('caps.col.' + k));
      box.replaceChildren(
        st.stale ? el('p', { class: 'error', role: 'alert', text: C.t('caps.stale') }) : null,
        el('p', { class: 'muted small', id: 'caps-state', text: st.periods.length
          ? M('caps.state', { last: st.lastCovered ? C.date(st.lastCovered) : '—', current: st.currentPct ? st.currentPct + ' %' : st.provisionalPct ? M('caps.provisional', { pct: st.provisionalPct + ' %' }) : '—' })
          : M('caps.none') }),
        st.periods.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'stack' },
          el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 2 ? 'num' : '', text: c })))),
          el('tbody', {}, st.periods.slice().reverse().map((p) => el('tr', {},
            el('td', { 'data-label': cols[0], text: C.date(p.from) }), el('td', { 'data-label': cols[1], text: p.to ? C.date(p.to) : '—' }),
            el('td', { 'data-label': cols[2], class: 'num', text: p.annualEffectivePct + ' %' }), el('td', { 'data-label': cols[3], class: 'small', text: p.source || '' })))))) : null);
    };
    const upload = el('button', { class: 'btn primary', type: 'button', id: 'caps-upload', text: M('caps.import') });
    upload.onclick = async () => {
      err.hidden = true;
      if (!file.files.length) return;
      try {
        const fd = new FormData(); fd.append('file', file.files[0]);
        await C.api('POST', '/api/caps/' + enc(country.value) + '/import', fd);
        C.toast(M('caps.saved')); await load();
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; }
    };
    country.addEventListener('change', () => load().catch((e) => C.toast(C.errorText(e))));
    card.append(el('div', { class: 'filters' }, el('label', {}, M('caps.country'), country)), box,
      ['admin', 'manager'].includes(C.me.role) ? el('details', { id: 'caps-new' }, el('summary', { text: M('caps.import') }),
        el('p', { class: 'muted small', text: M('caps.hint') }), file, upload, err) : null);
    await load();
    return card;
  }

  // Which payments gateway is live: Stripe, the sandbox (test mode) or off;
  // and the tenant's own gateway (its Stripe account or its Wompi keys).
  async function gatewayCard() {
    const g = await C.api('GET', '/api/payments/gateway');
    const badge = g.gateway === 'stripe' ? 'ok' : g.gateway === 'sandbox' ? 'warn' : 'bad';
    const card = el('section', { class: 'card', id: 'gateway' },
      el('h2', { text: C.t('manager.gateway.title') }),
      el('p', {}, el('span', { class: 'badge ' + badge, id: 'gateway-name', text: C.t('manager.gateway.' + g.gateway) })),
      el('p', { class: 'small muted', text: C.t('manager.gateway.' + g.gateway + 'Help') }));
    if (C.tenant) card.append(await tenantGateway());
    return card;
  }

  // The tenant's own gateway: which one, the keys' last four characters,
  // the webhook URL to register; a form to save new keys (never shown
  // again) or remove them.
  async function tenantGateway() {
    const base = '/api/tenants/' + encodeURIComponent(C.tenant) + '/gateway';
    const g = await C.api('GET', base);
    const box = el('div', { id: 'tenant-gateway' }, el('h3', { text: C.t('gateway.own') }));
    if (g.configured) {
      box.append(el('p', {}, el('span', { class: 'badge ok', id: 'tenant-gateway-name', text: C.t('gateway.provider.' + g.provider) + (g.test ? ' · ' + C.t('gateway.test') : '') })),
        el('p', { class: 'small', id: 'tenant-gateway-keys', text: Object.entries(g.keys || {}).map(([k, v]) => C.t('gateway.key.' + k) + ' ' + v).join(' · ') }),
        el('p', { class: 'small muted' }, C.t('gateway.webhook') + ' ', el('code', { id: 'tenant-gateway-webhook', text: g.webhook })));
    } else {
      box.append(el('p', { class: 'small muted', id: 'tenant-gateway-none', text: C.t('gateway.none') }));
      const t = C.tenants.find((x) => x.slug === C.tenant);
      if (t && t.country === 'MX') box.append(el('p', { class: 'notice', id: 'tenant-gateway-mx', text: C.t('gateway.mxWarning') }));
    }
    box.append(el('p', { class: 'small muted', text: C.t('gateway.methods') + ' ' + ((g.methods || []).map((m) => C.t('pay.method.' + m)).join(', ') || '—') }));
    const err = el('p', { class: 'error', hidden: true });
    const secret = (name) => el('label', {}, C.t('gateway.key.' + name), el('input', { name, type: 'password', autocomplete: 'off', spellcheck: 'false' }));
    const provider = el('select', { name: 'provider' }, ['wompi', 'stripe'].map((v) => el('option', { value: v, text: C.t('gateway.provider.' + v) })));
    const wompi = el('div', { class: 'grid two' }, secret('publicKey'), secret('privateKey'), secret('eventsSecret'), secret('integritySecret'));
    const stripe = el('div', { class: 'grid two', hidden: true }, secret('secretKey'), secret('webhookSecret'));
    const sync = () => { wompi.hidden = provider.value !== 'wompi'; stripe.hidden = provider.value !== 'stripe'; };
    provider.addEventListener('change', sync);
    const f = el('form', { id: 'tenant-gateway-form' }, el('label', {}, C.t('gateway.providerLabel'), provider), wompi, stripe, err,
      el('p', { class: 'small muted', text: C.t('gateway.settleNote') }),
      el('div', {}, el('button', { class: 'btn primary', type: 'submit', text: C.t('gateway.save') })));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const body = provider.value === 'wompi'
        ? { provider: 'wompi', wompi: { publicKey: d.get('publicKey'), privateKey: d.get('privateKey'), eventsSecret: d.get('eventsSecret'), integritySecret: d.get('integritySecret') } }
        : { provider: 'stripe', stripe: { secretKey: d.get('secretKey'), webhookSecret: d.get('webhookSecret') } };
      try {
        await C.api('PUT', base, body);
        f.reset();
        box.replaceWith(await tenantGateway());
      } catch (e) { err.textContent = C.errorText(e); err.hidden = false; }
    };
    box.append(el('details', {}, el('summary', { text: C.t(g.configured ? 'gateway.replace' : 'gateway.configure') }), f));
    if (g.configured) {
      const rm = el('button', { class: 'btn', type: 'button', id: 'tenant-gateway-remove', text: C.t('gateway.remove') });
      rm.onclick = async () => {
        try { await C.api('DELETE', base); box.replaceWith(await tenantGateway()); } catch (e) { C.toast(C.errorText(e)); }
      };
      box.append(rm);
    }
    return box;
  }

  // render draws the section the hash names. Sections other scripts own
  // (audit.js) get the tabs only; a render overtaken by a newer one (the
  // home cards still loading when the user clicks a tab) draws nothing.
  let renderSeq = 0;
  async function render() {
    const mine = ++renderSeq;
    const s = (location.hash.match(/^#\/(\w+)/) || [])[1] || 'home';
    const own = C.managerSections[s];
    const cards = s === 'audit' ? [] : own ? [await own()] : s === 'policy' ? [await policyCard()] : s === 'caps' ? [await capsCard()] : s === 'outbox' ? [await outboxCard()] : s === 'bureau' ? [await bureauCard()]
      : [await capsStale(), await gatewayCard(), tenantCard(), await usersCard()].filter(Boolean);
    if (mine !== renderSeq) return;
    view.replaceChildren(tabs(all().includes(s) ? s : 'home'), ...cards);
    dashboardOnlyHome(s);
  }

  // The reports dashboard (dashboard.js) joins the page on its own; it
  // belongs to the first section only, so the other sections stay readable.
  function dashboardOnlyHome(s) {
    const apply = () => { const d = document.getElementById('dashboard'); if (d) d.hidden = s !== 'home'; };
    apply();
    if (!dashboardOnlyHome.observer) {
      dashboardOnlyHome.observer = new MutationObserver(() => dashboardOnlyHome.apply());
      dashboardOnlyHome.observer.observe(document.getElementById('main'), { childList: true });
    }
    dashboardOnlyHome.apply = apply;
  }
  window.addEventListener('hashchange', () => render().catch((e) => C.toast(C.errorText(e))));
  C.staff().then(render).catch((e) => C.toast(C.errorText(e)));
})();
