// Collector face: the accounts assigned to me, and each account's page where
// I log contacts (checked against the contact rules before they are saved),
// record promises and manual payments, and add new contact data.
(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');
  const T = (k, v) => C.t('work.' + k, v);
  const enc = encodeURIComponent;
  const base = () => '/api/tenants/' + enc(C.tenant);

  const toMinor = (text) => C.toMinor(text);
  // Contact times read in the tenant's zone, where the contact rules apply.
  const zone = () => ((C.tenants || []).find((t) => t.slug === C.tenant) || {}).timezone || 'America/Bogota';
  const when = (iso) => new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO',
    { dateStyle: 'medium', timeStyle: 'short', timeZone: zone() }).format(new Date(iso));
  const field = (label, input) => el('label', {}, label, input);
  const select = (id, name, values, prefix) => el('select', { id, name },
    values.map((v) => el('option', { value: v, text: T(prefix + v) })));
  const showError = (box, e) => { box.textContent = C.errorText(e); box.hidden = false; };

  // --- the queue first, then every account assigned to me -----------------
  const Q = (k, v) => C.t('queue.' + k, v);
  let queueType = '';
  async function renderList() {
    const card = el('section', { class: 'card', id: 'queue' });
    const all = el('section', { class: 'card', id: 'accounts' }, el('h2', { text: Q('all') }));
    view.replaceChildren(card, all);
    if (!C.tenant) { card.append(el('h2', { text: Q('title') }), el('p', { class: 'empty', text: C.t('collector.empty') })); return; }
    await Promise.all([renderQueue(card), renderAccounts(all)]);
  }

  async function renderQueue(card) {
    const types = ['call', 'visit', 'promise_follow_up', 'credit_suspension', 'final_notice', 'legal'];
    const filter = el('select', { id: 'queue-type', name: 'type' },
      el('option', { value: '', text: Q('filter.all') }), types.map((v) => el('option', { value: v, text: Q('type.' + v) })));
    filter.value = queueType;
    filter.addEventListener('change', () => { queueType = filter.value; renderQueue(card); });
    const res = await C.api('GET', '/api/work/queue?tenant=' + enc(C.tenant) + (queueType ? '&type=' + enc(queueType) : '') + '&limit=100');
    const cols = ['col.priority', 'col.account', 'col.task', 'col.balance', 'col.reasons'].map((k) => Q(k));
    // The three highest scores stand out, ties included: the same score
    // always gets the same colour.
    const cut = res.items.length ? res.items[Math.min(2, res.items.length - 1)].priority : Infinity;
    const rows = res.items.map((it) => el('tr', { class: it.priority >= cut ? 'top' : '', 'data-account': it.accountId },
      el('td', { 'data-label': cols[0], class: 'prio', text: String(it.priority) }),
      el('td', { 'data-label': cols[1] },
        el('a', { class: 'invoice-link', href: '#/account/' + enc(it.accountId), id: 'q-open-' + it.accountId, text: it.invoice || it.accountId }),
        el('div', { class: 'muted small', text: it.debtorName })),
      el('td', { 'data-label': cols[2], class: 'task' },
        el('strong', { text: it.nextAction.label || Q('type.' + it.nextAction.type) }),
        el('div', { class: 'muted small', text: Q('due', { date: C.date(it.nextAction.due) }) })),
      el('td', { 'data-label': cols[3], class: 'num', text: C.money(it.balance, it.currency) }),
      el('td', { 'data-label': cols[4] }, el('ul', { class: 'reasons' },
        it.reasons.map((r) => el('li', { class: /^alert|incumplid|broken promise/.test(r) ? 'alert' : '', text: r }))))));
    card.replaceChildren(
      el('div', { class: 'queue-head' },
        el('div', {}, el('h2', { text: Q('title') }), el('p', { class: 'muted small', id: 'queue-count', text: (res.items.length === 1 ? Q('count.one') : Q('count', { n: res.items.length })) + ' · ' + Q('hint') })),
        field(Q('filter'), filter)),
      el('div', { class: 'table-wrap' }, el('table', { class: 'stack queue', id: 'queue-table' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 3 ? 'num' : '', text: c })))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { class: 'none', colspan: 5, id: 'queue-empty', text: Q('empty') }))))));
  }

  async function renderAccounts(card) {
    const res = await C.api('GET', base() + '/accounts?status=open&limit=200');
    if (!res.items.length) { card.append(el('p', { class: 'empty', text: C.t('collector.empty') })); return; }
    const cols = ['collector.col.invoice', 'collector.col.debtor', 'collector.col.due', 'collector.col.dpd', 'collector.col.balance'].map((k) => C.t(k));
    card.append(el('p', { class: 'muted small', text: C.t('collector.count', { n: res.items.length + (res.next ? '+' : '') }) }),
      el('div', { class: 'table-wrap' }, el('table', { class: 'stack accounts' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i >= 3 ? 'num' : '', text: c })))),
        el('tbody', {}, res.items.map((a) => el('tr', {},
          el('td', { 'data-label': cols[0] }, el('a', { class: 'invoice-link', href: '#/account/' + enc(a.id), id: 'open-' + a.id, text: a.invoice })),
          el('td', { 'data-label': cols[1] }, a.debtor.name, el('div', { class: 'muted small', text: a.debtor.document })),
          el('td', { 'data-label': cols[2], text: C.date(a.dueDate) }),
          el('td', { 'data-label': cols[3], class: 'num', text: String(a.daysPastDue) }),
          el('td', { 'data-label': cols[4], class: 'num', text: C.money(a.balance, a.currency) })))))));
  }

  // --- one account ----------------------------------------------------------
  async function renderAccount(id) {
    const path = base() + '/accounts/' + enc(id);
    const [a, tl] = await Promise.all([C.api('GET', path), C.api('GET', path + '/timeline')]);
    const consent = await C.api('GET', base() + '/debtors/' + enc(a.debtor.document) + '/consent').catch(() => null);
    const back = el('a', { class: 'btn', href: '#/', id: 'back', text: T('back') });
    const statusClass = { open: 'warn', paid: 'ok', recalled: 'info', legal: 'bad' }[a.status] || 'info';
    const head = el('section', { class: 'card', id: 'account' },
      el('div', { class: 'detail-head' }, el('h2', { id: 'account-title', text: T('account', { invoice: a.invoice }) }), back),
      el('div', { class: 'detail-status' },
        el('span', { class: 'badge ' + statusClass, text: T('status.' + a.status) }),
        el('span', { class: 'muted small', text: T('dpd', { n: a.daysPastDue }) }),
        nextStep(tl.nextStep)),
      el('dl', { class: 'facts' },
        fact(T('debtor'), a.debtor.name + ' · ' + a.debtor.document),
        fact(T('balance'), C.money(a.balance, a.currency), 'big', 'account-balance'),
        a.interest ? fact(C.t('money.interest'), C.money(a.interest, a.currency), null, 'account-interest') : null,
        a.interest ? fact(C.t('money.owed'), C.money(a.owed, a.currency), 'big', 'account-owed') : null,
        a.credit ? fact(C.t('money.credit'), C.money(a.credit, a.currency), null, 'account-credit') : null,
        fact(T('original'), C.money(a.originalAmount, a.currency)),
        fact(T('due'), C.date(a.dueDate))),
      el('div', { class: 'letter-links', id: 'letters' }, el('span', { class: 'muted small', text: Q('letter') + ':' }),
        ['1', '2', '3', 'final'].map((l) => el('a', { class: 'btn', target: '_blank', rel: 'noopener', id: 'letter-' + l,
          href: path + '/letter.pdf?level=' + l, text: Q('letter.' + l) }))));
    const open = a.status === 'open' && a.balance > 0;
    const task = stepDoneCard(id, tl.nextStep);
    if (task) head.append(task);
    view.replaceChildren(head,
      el('div', { class: 'grid two' }, logForm(id, a, open), payForm(id, a, open)),
      el('div', { class: 'grid two' }, timelineCard(tl, a.currency), el('div', {}, contactsCard(a), consentCard(a, consent), ledgerCard(a))));
  }

  function fact(label, value, cls, id) {
    return el('div', { class: 'fact' }, el('dt', { text: label }), el('dd', { class: cls || '', id, text: value }));
  }

  function nextStep(n) {
    if (!n) return null;
    if (n.stop) return el('span', { class: 'badge info', id: 'next-step', text: T('next.' + n.stop) });
    if (!n.step) return null;
    return el('span', { class: 'badge ' + (n.late ? 'bad' : 'info'), id: 'next-step',
      text: T('next.step', { what: n.step.label || T('channel.' + n.step.channel), date: C.date(n.due) }) });
  }

  // Steps no contact carries out (a credit suspension notified to the
  // client, the final notice, the legal stage, a visit) are marked done here
  // with a note, once they are due; the ladder then moves on.
  const outboxChannels = ['email', 'whatsapp', 'sms', 'letter', 'statement'];
  function stepDoneCard(id, n) {
    if (!n || n.stop || !n.step || (n.step.automatic && outboxChannels.includes(n.step.channel))) return null;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone() }).format(new Date());
    if (!n.due || n.due > today) return null;
    const key = (n.step.day < 0 ? 'D' + n.step.day : 'D+' + n.step.day) + ':' + n.step.channel;
    const note = el('textarea', { id: 'step-note', name: 'note', rows: 2, maxlength: 1000, required: true });
    const err = el('p', { class: 'alert', id: 'step-error', role: 'alert', hidden: true });
    const form = el('form', { id: 'step-form', novalidate: true },
      field(T('step.note'), note), err,
      el('button', { class: 'btn primary', type: 'submit', id: 'step-submit', text: T('step.submit') }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      try {
        const r = await C.api('POST', base() + '/accounts/' + enc(id) + '/steps/done', { step: key, note: note.value });
        C.toast(r.already ? T('step.already') : T('step.saved'));
        await renderAccount(id);
      } catch (e) { showError(err, e); }
    });
    return el('div', { class: 'notice', id: 'step-done' },
      el('strong', { text: T('step.title', { what: n.step.label || T('channel.' + n.step.channel) }) }),
      el('p', { class: 'muted small', text: T('step.hint') }), form);
  }

  // The contact form. A refusal (422) says which rule and when it is next
  // allowed; nothing is saved then.
  function logForm(id, a, open) {
    const err = el('p', { class: 'alert', id: 'log-error', role: 'alert', hidden: true });
    const channel = select('log-channel', 'channel', ['call', 'whatsapp', 'email', 'sms', 'visit', 'letter'], 'channel.');
    const direction = select('log-direction', 'direction', ['outbound', 'inbound'], 'direction.');
    const outcome = select('log-outcome', 'outcome', ['contacted', 'no_answer', 'promise', 'refused', 'wrong_number', 'left_message', 'dispute'], 'outcome.');
    const amount = el('input', { id: 'promise-amount', name: 'amount', inputmode: 'decimal', autocomplete: 'off' });
    const date = el('input', { id: 'promise-date', name: 'date', type: 'date' });
    const promise = el('fieldset', { id: 'promise-fields', class: 'pick', hidden: true },
      el('legend', { text: T('promise.title') }),
      field(T('promise.amount', { currency: a.currency }), amount), field(T('promise.date'), date));
    outcome.addEventListener('change', () => { promise.hidden = outcome.value !== 'promise'; });
    if (!open) outcome.querySelector('option[value="promise"]').disabled = true;
    const note = el('textarea', { id: 'log-note', name: 'note', rows: 3, maxlength: 2000 });
    const form = el('form', { id: 'log-form', novalidate: true },
      el('div', { class: 'grid two' }, field(T('channel'), channel), field(T('direction'), direction)),
      field(T('outcome'), outcome), promise, field(T('note'), note), err,
      el('button', { class: 'btn primary', type: 'submit', id: 'log-submit', text: T('log.submit') }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const body = { channel: channel.value, direction: direction.value, outcome: outcome.value, note: note.value };
      if (outcome.value === 'promise') {
        const minor = toMinor(amount.value);
        if (!(minor > 0)) { showError(err, new Error(T('error.amount'))); return; }
        body.promise = { amount: minor, date: date.value };
      }
      try {
        await C.api('POST', base() + '/accounts/' + enc(id) + '/activities', body);
        C.toast(T('log.saved'));
        await renderAccount(id);
      } catch (e) {
        if (e.status === 422) { err.textContent = T('log.refused', { reason: e.message }); err.hidden = false; return; }
        showError(err, e);
      }
    });
    return el('section', { class: 'card' }, el('h3', { text: T('log.title') }), form);
  }

  function payForm(id, a, open) {
    const err = el('p', { class: 'alert', id: 'pay-error', role: 'alert', hidden: true });
    const amount = el('input', { id: 'pay-amount', name: 'amount', inputmode: 'decimal', autocomplete: 'off', required: true });
    const method = select('pay-method', 'method', ['transfer', 'cash', 'check', 'client_reported'], 'method.');
    const ref = el('input', { id: 'pay-reference', name: 'reference', autocomplete: 'off', maxlength: 64, required: true });
    const paidAt = el('input', { id: 'pay-date', name: 'paidAt', type: 'date' });
    const form = el('form', { id: 'pay-form', novalidate: true },
      field(T('pay.amount', { currency: a.currency }), amount), field(T('pay.method'), method),
      field(T('pay.reference'), ref), field(T('pay.date'), paidAt), err,
      el('button', { class: 'btn primary', type: 'submit', id: 'pay-submit', disabled: !open, text: T('pay.submit') }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const minor = toMinor(amount.value);
      if (!(minor > 0)) { showError(err, new Error(T('error.amount'))); return; }
      try {
        const r = await C.api('POST', base() + '/accounts/' + enc(id) + '/payments',
          { amount: minor, method: method.value, reference: ref.value, paidAt: paidAt.value });
        C.toast(T('pay.saved', { balance: C.money(r.balance, r.currency) }));
        await renderAccount(id);
      } catch (e) {
        if (e.status === 409) { showError(err, new Error(T('pay.duplicate'))); return; }
        showError(err, e);
      }
    });
    return el('section', { class: 'card' }, el('h3', { text: T('pay.title') }), form);
  }

  // The timeline merges contacts and promises, newest first.
  function timelineCard(tl, currency) {
    const items = [
      ...tl.activities.map((x) => ({ at: x.at, node: activityItem(x) })),
      ...tl.promises.map((p) => ({ at: p.settledAt || p.createdAt, node: promiseItem(p, currency) })),
      ...(tl.blocked || []).map((b) => ({ at: b.at, node: blockedItem(b) })),
    ].sort((x, y) => (x.at < y.at ? 1 : -1));
    return el('section', { class: 'card' }, el('h3', { text: T('timeline') }),
      items.length ? el('ul', { class: 'contacts', id: 'timeline' }, items.map((i) => i.node))
        : el('p', { class: 'empty', id: 'timeline', text: T('timeline.empty') }));
  }

  // who says who acted: the person's name, the automatic ladder, or the debtor.
  const who = (x) => x.byName || (String(x.by || '').startsWith('system:') ? T('by.system')
    : x.byRole === 'debtor' ? T('by.debtor') : '');

  function activityItem(x) {
    const by = who(x);
    return el('li', { class: 'activity' },
      el('span', { class: 'kpi-label', text: when(x.at) }),
      el('div', {},
        el('strong', { text: T('channel.' + x.channel) + ' · ' + T('outcome.' + x.outcome) }),
        x.outcome === 'done' ? null : el('span', { class: 'muted small', text: ' (' + T('direction.' + x.direction) + ')' }),
        by ? el('div', { class: 'muted small by', text: T('by', { name: by }) }) : null,
        x.note ? el('div', { text: x.note }) : null));
  }

  // A contact the rules refused: nothing was said, but someone tried.
  function blockedItem(b) {
    const by = who(b);
    return el('li', { class: 'blocked' },
      el('span', { class: 'kpi-label', text: when(b.at) }),
      el('div', {},
        el('strong', { text: T('channel.' + b.channel) + ' · ' }), el('span', { class: 'badge bad', text: T('blocked') }),
        el('div', { class: 'small', text: b.reason }),
        by ? el('div', { class: 'muted small by', text: T('by', { name: by }) }) : null));
  }

  function promiseItem(p, currency) {
    const cls = { live: 'info', kept: 'ok', broken: 'bad' }[p.status] || 'info';
    return el('li', { class: 'promise' },
      el('span', { class: 'kpi-label', text: when(p.settledAt || p.createdAt) }),
      el('div', {},
        el('strong', { text: T('promise.item', { amount: C.money(p.amount, p.currency || currency), date: C.date(p.date) }) }), ' ',
        el('span', { class: 'badge ' + cls, text: T('promise.' + p.status) })));
  }

  function contactsCard(a) {
    const list = a.debtor.contacts || [];
    const err = el('p', { class: 'alert', id: 'contact-error', role: 'alert', hidden: true });
    const kind = select('contact-kind', 'kind', ['phone', 'whatsapp', 'email', 'address'], 'kind.');
    const value = el('input', { id: 'contact-value', name: 'value', autocomplete: 'off', required: true });
    const label = el('select', { id: 'contact-label', name: 'label' }, el('option', { value: '', text: T('label.none') }),
      ['office', 'billing', 'home', 'delivery', 'mobile', 'other'].map((v) => el('option', { value: v, text: T('label.' + v) })));
    const person = el('input', { id: 'contact-person', name: 'person', autocomplete: 'off', maxlength: 120 });
    const role = el('input', { id: 'contact-role', name: 'role', autocomplete: 'off', maxlength: 80, placeholder: T('contact.rolePlaceholder') });
    const form = el('form', { id: 'contact-form', novalidate: true },
      el('div', { class: 'grid two' }, field(T('contact.kind'), kind), field(T('contact.value'), value)),
      el('div', { class: 'grid two' }, field(T('contact.person'), person), field(T('contact.role'), role)),
      field(T('contact.label'), label), err,
      el('button', { class: 'btn', type: 'submit', id: 'contact-submit', text: T('contact.add') }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      try {
        await C.api('POST', base() + '/debtors/' + enc(a.debtor.document) + '/contacts',
          { kind: kind.value, value: value.value, label: label.value, person: person.value, role: role.value });
        C.toast(T('contact.saved'));
        await renderAccount(a.id);
      } catch (e) { showError(err, e.status === 409 ? new Error(T('contact.duplicate')) : e); }
    });
    return el('section', { class: 'card' }, el('h3', { text: T('contacts') }),
      list.length ? el('ul', { class: 'contacts', id: 'contacts' }, list.map((c) => el('li', { class: c.invalid ? 'invalid' : '' },
        el('span', { class: 'kpi-label', text: T('kind.' + c.kind) + (c.label ? ' · ' + T('label.' + c.label) : '') }),
        el('div', {}, el('span', { text: c.value + (c.city ? ', ' + c.city : '') }),
          c.person || c.role ? el('div', { class: 'muted small', text: [c.person, c.role].filter(Boolean).join(' · ') }) : null))))
        : el('p', { class: 'empty', text: T('contacts.empty') }),
      form);
  }

  // Consent: what the debtor said about each channel, and every change with
  // who recorded it, how and with what proof. An opt-out is recorded at
  // once; authorizing again a channel the debtor refused needs the proof.
  const CHANNELS = ['call', 'whatsapp', 'sms', 'email', 'visit', 'letter'];
  function consentCard(a, cv) {
    if (!cv) return null;
    const state = (ch) => {
      const c = (cv.channels || {})[ch];
      if (c && c.optedOut) return ['bad', 'consent.optedOut'];
      if ((cv.effective || []).includes(ch)) return ['ok', c ? 'consent.authorized' : 'consent.byDefault'];
      return ['', 'consent.none'];
    };
    const err = el('p', { class: 'alert', id: 'consent-error', role: 'alert', hidden: true });
    const channel = select('consent-channel', 'channel', CHANNELS, 'channel.');
    const choice = el('select', { id: 'consent-choice', name: 'choice' },
      ['opted_out', 'authorized'].map((v) => el('option', { value: v, text: T('consent.change.' + v) })));
    const how = el('input', { id: 'consent-how', name: 'how', maxlength: 200, autocomplete: 'off', placeholder: T('consent.howPlaceholder') });
    const evidence = el('input', { id: 'consent-evidence', name: 'evidence', maxlength: 200, autocomplete: 'off', placeholder: T('consent.evidencePlaceholder') });
    const form = el('form', { id: 'consent-form', novalidate: true },
      el('div', { class: 'grid two' }, field(T('consent.channel'), channel), field(T('consent.choice'), choice)),
      field(T('consent.how'), how), field(T('consent.evidence'), evidence), err,
      el('button', { class: 'btn', type: 'submit', id: 'consent-submit', text: T('consent.save') }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const opt = choice.value === 'opted_out';
      try {
        await C.api('PUT', base() + '/debtors/' + enc(a.debtor.document) + '/consent', {
          channels: { [channel.value]: { authorized: !opt, optedOut: opt } }, how: how.value, evidence: evidence.value });
        C.toast(T('consent.saved'));
        await renderAccount(a.id);
      } catch (e) { showError(err, e); }
    });
    const history = cv.history || [];
    return el('section', { class: 'card', id: 'consent' }, el('h3', { text: T('consent.title') }),
      el('ul', { class: 'chips', id: 'consent-channels' }, CHANNELS.map((ch) => {
        const [cls, key] = state(ch);
        return el('li', { 'data-channel': ch }, el('span', { class: 'badge ' + cls, text: T('channel.' + ch) + ': ' + T(key) }));
      })),
      history.length ? el('details', { id: 'consent-history' }, el('summary', { text: T('consent.history', { n: history.length }) }),
        el('ul', { class: 'contacts' }, history.map((h) => el('li', {},
          el('span', { class: 'kpi-label', text: when(h.at) }),
          el('div', {},
            el('strong', { text: (h.channel === 'hours' || h.channel === 'window' ? T('consent.' + h.channel) : T('channel.' + h.channel)) +
              ' · ' + T('consent.change.' + h.change) + (h.window ? ' ' + h.window : '') }),
            el('div', { class: 'small', text: h.how + (h.evidence ? ' — ' + T('consent.evidenceIs', { ref: h.evidence }) : '') }),
            el('div', { class: 'muted small', text: T('by', { name: who(h) || (h.by === 'import' ? T('by.import') : h.by) }) })))))) : null,
      form);
  }

  function ledgerCard(a) {
    const rows = (a.ledger || []).slice().reverse();
    const cols = [T('ledger.date'), T('ledger.kind'), T('ledger.amount')];
    return el('section', { class: 'card' }, el('h3', { text: T('ledger') }),
      el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'ledger' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 2 ? 'num' : '', text: c })))),
        el('tbody', {}, rows.map((m) => el('tr', {},
          el('td', { 'data-label': cols[0], text: C.date(m.at) }),
          el('td', { 'data-label': cols[1], text: T('ledger.' + m.kind) + (m.channel ? ' · ' + T('ledger.channel.' + m.channel) : '') }),
          el('td', { 'data-label': cols[2], class: 'num', text: C.money(m.amount, a.currency) })))))));
  }

  // --- routing: #/account/<id> opens an account; anything else the list ----
  async function route() {
    const m = location.hash.match(/^#\/account\/(.+)$/);
    try {
      if (m) await renderAccount(decodeURIComponent(m[1]));
      else await renderList();
      window.scrollTo(0, 0);
    } catch (e) {
      view.replaceChildren(el('section', { class: 'card' }, el('p', { class: 'error', role: 'alert', text: C.errorText(e) }),
        el('a', { class: 'btn', href: '#/', text: T('back') })));
    }
  }
  window.addEventListener('hashchange', route);
  C.staff().then(route).catch((e) => C.toast(C.errorText(e)));
})();
