// Assignment in the manager face (section #/assignment): each collector's
// capacity, limit and load; the standing rule (round robin or rules by
// segment and amount, with a fallback for what no rule takes); a preview
// that writes nothing; distributing now; and undoing a recent run.
// manager.js draws the tabs and calls the section registered here.
(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  if (document.body.dataset.face !== 'manager') return;
  const G = (k, v) => C.t('asg.' + k, v);
  const enc = encodeURIComponent;
  const tbase = () => '/api/tenants/' + enc(C.tenant);
  const num = (n) => new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO').format(n || 0);
  const when = (iso) => new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));

  C.managerSections = C.managerSections || {};
  C.managerSections.assignment = section;

  async function section() {
    const card = el('section', { class: 'card', id: 'assignment' }, el('h2', { text: G('title') }),
      el('p', { class: 'muted small', text: G('help') }));
    if (!C.tenant) return card;
    const st = await C.api('GET', tbase() + '/assignment');
    const money = (m) => C.money(m, st.currency);
    const names = Object.fromEntries(st.collectors.map((c) => [c.id, c.name]));
    const redraw = async () => { card.replaceWith(await section()); };
    card.append(loadCard(st, money, redraw), ruleCard(st, money, names, redraw), runsCard(st, money, names, redraw));
    return card;
  }

  // Capacity (share of round robin) and the limit of open accounts are
  // edited in place; the bar shows the load against the limit.
  function loadCard(st, money, redraw) {
    const cols = ['collector', 'accounts', 'balance', 'capacity', 'max', 'load', ''].map((k) => (k ? G('col.' + k) : ''));
    const rows = st.collectors.map((c) => {
      const cap = el('input', { type: 'number', min: '1', step: '1', value: String(c.capacity), name: 'capacity', class: 'day-input', 'aria-label': G('col.capacity') + ' ' + c.name });
      const max = el('input', { type: 'number', min: '0', step: '1', value: String(c.maxAccounts || 0), name: 'maxAccounts', class: 'day-input', 'aria-label': G('col.max') + ' ' + c.name });
      const save = el('button', { type: 'button', class: 'btn', text: G('save'), 'data-save': c.id });
      const err = el('small', { class: 'error field-error', hidden: true });
      save.onclick = async () => {
        err.hidden = true;
        try {
          await C.api('PATCH', tbase() + '/users/' + enc(c.id), { capacity: Number(cap.value), maxAccounts: Number(max.value) });
          C.toast(G('saved', { name: c.name }));
          await redraw();
        } catch (e) { err.textContent = C.errorText(e); err.hidden = false; }
      };
      const pct = c.maxAccounts ? Math.min(100, Math.round((100 * c.accounts) / c.maxAccounts)) : null;
      const load = pct === null ? el('span', { class: 'muted small', text: G('noLimit') })
        : el('div', { class: 'load' }, el('progress', { max: '100', value: String(pct), 'aria-label': G('col.load') }),
          el('span', { class: 'small' + (pct >= 100 ? ' error' : ''), text: pct >= 100 ? G('full') : G('pct', { n: pct }) }));
      return el('tr', { 'data-collector': c.id },
        el('td', { 'data-label': cols[0] }, el('strong', { text: c.name }), el('div', { class: 'muted small', text: c.email })),
        el('td', { 'data-label': cols[1], class: 'num', text: num(c.accounts) }),
        el('td', { 'data-label': cols[2], class: 'num', text: money(c.balance) }),
        el('td', { 'data-label': cols[3] }, cap),
        el('td', { 'data-label': cols[4] }, max),
        el('td', { 'data-label': cols[5] }, load),
        el('td', {}, save, err));
    });
    return el('section', { class: 'card', id: 'assign-loads' }, el('h3', { text: G('loads') }),
      el('p', { class: 'kpi-row', id: 'assign-unassigned' },
        el('span', { class: 'badge ' + (st.unassigned.accounts ? 'warn' : 'ok'),
          text: G('unassigned', { n: num(st.unassigned.accounts), amount: money(st.unassigned.balance) }) })),
      rows.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'assign-load-table' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 1 || i === 2 ? 'num' : '', text: c })))),
        el('tbody', {}, rows))) : el('p', { class: 'empty', text: G('noCollectors') }),
      el('p', { class: 'muted small', text: G('capacityHelp') }));
  }

  // The rule editor works on a draft: preview it, save it, or save it and
  // distribute the unassigned accounts now.
  function ruleCard(st, money, names, redraw) {
    const draft = JSON.parse(JSON.stringify(st.config));
    draft.rules = draft.rules || [];
    draft.fallback = draft.fallback || '';
    const mode = el('select', { id: 'assign-mode', name: 'mode' },
      ['none', 'round_robin', 'rules'].map((m) => el('option', { value: m, text: G('mode.' + m), selected: draft.mode === m })));
    const fallback = el('select', { id: 'assign-fallback', name: 'fallback' },
      el('option', { value: '', text: G('fallback.none') }), el('option', { value: 'round_robin', text: G('fallback.share') }),
      st.collectors.map((c) => el('option', { value: c.id, text: G('fallback.one', { name: c.name }) })));
    fallback.value = draft.fallback;
    const rulesBody = el('tbody', { id: 'assign-rules' });
    const rulesBox = el('div', { id: 'assign-rules-box' });
    const drawRules = () => {
      rulesBody.replaceChildren(...draft.rules.map((r, i) => ruleRow(st, draft, i, drawRules)));
      rulesBox.hidden = draft.mode !== 'rules';
    };
    const addRule = el('button', { type: 'button', class: 'btn', id: 'assign-add-rule', text: G('addRule') });
    addRule.onclick = () => { draft.rules.push({ segment: '', minAmount: 0, maxAmount: 0, collectors: [] }); drawRules(); };
    rulesBox.append(
      el('div', { class: 'table-wrap' }, el('table', { class: 'stack' },
        el('thead', {}, el('tr', {}, ['segment', 'min', 'max', 'collectors', ''].map((k) => el('th', { text: k ? G('rule.' + k) : '' })))),
        rulesBody)),
      addRule,
      el('label', {}, G('fallback'), fallback, el('small', { class: 'muted', text: G('fallback.help') })));
    mode.addEventListener('change', () => { draft.mode = mode.value; drawRules(); });
    fallback.addEventListener('change', () => { draft.fallback = fallback.value; });
    drawRules();

    const msg = el('p', { class: 'alert', id: 'assign-error', role: 'alert', hidden: true });
    const out = el('div', { id: 'assign-preview' });
    const fail = (e) => { msg.textContent = C.errorText(e); msg.hidden = false; };
    const body = () => ({ mode: draft.mode, rules: draft.mode === 'rules' ? draft.rules : [], fallback: draft.mode === 'rules' ? draft.fallback : '' });
    const preview = el('button', { type: 'button', class: 'btn', id: 'assign-preview-btn', text: G('preview') });
    const save = el('button', { type: 'button', class: 'btn', id: 'assign-save', text: G('saveRule') });
    const run = el('button', { type: 'button', class: 'btn primary', id: 'assign-run', text: G('run') });
    preview.onclick = async () => {
      msg.hidden = true;
      if (draft.mode === 'none') { out.replaceChildren(el('p', { class: 'muted', text: G('mode.noneHelp') })); return; }
      try {
        const p = await C.api('POST', tbase() + '/assignments/preview', { config: body() });
        out.replaceChildren(planView(p, money, names, G('previewTitle')));
      } catch (e) { fail(e); }
    };
    save.onclick = async () => {
      msg.hidden = true;
      try { await C.api('PUT', tbase() + '/assignment-rule', body()); C.toast(G('ruleSaved')); await redraw(); } catch (e) { fail(e); }
    };
    run.onclick = async () => {
      msg.hidden = true;
      if (draft.mode === 'none') { fail(new Error(G('mode.noneHelp'))); return; }
      if (!window.confirm(G('runConfirm', { n: num(st.unassigned.accounts) }))) return;
      try {
        await C.api('PUT', tbase() + '/assignment-rule', body());
        const p = await C.api('POST', tbase() + '/assignments', { rule: draft.mode });
        C.toast(G('ran', { n: num(p.assigned) }));
        await redraw();
      } catch (e) { fail(e); }
    };
    return el('section', { class: 'card', id: 'assign-rule' }, el('h3', { text: G('rule') }),
      el('p', { class: 'muted small', text: G('ruleHelp') }),
      el('label', {}, G('mode'), mode), rulesBox, msg,
      el('div', { class: 'actions' }, preview, save, run), out);
  }

  function ruleRow(st, draft, i, redraw) {
    const r = draft.rules[i];
    const at = (k) => 'rules[' + i + '].' + k;
    const seg = el('input', { name: at('segment'), value: r.segment || '', maxlength: '60', placeholder: G('rule.any'), 'aria-label': G('rule.segment') });
    seg.addEventListener('input', () => { r.segment = seg.value.trim(); });
    const amount = (k) => {
      const i2 = el('input', { type: 'number', min: '0', step: '0.01', name: at(k), value: r[k] ? String(r[k] / 100) : '', placeholder: k === 'maxAmount' ? G('rule.noMax') : '0', class: 'amount-input', 'aria-label': G('rule.' + (k === 'minAmount' ? 'min' : 'max')) });
      i2.addEventListener('input', () => { r[k] = i2.value === '' ? 0 : Math.round(Number(i2.value) * 100); });
      return i2;
    };
    const who = el('div', { class: 'chips' }, st.collectors.map((c) => {
      const box = el('input', { type: 'checkbox', value: c.id, checked: (r.collectors || []).includes(c.id) });
      box.addEventListener('change', () => {
        r.collectors = st.collectors.filter((x) => x.id === c.id ? box.checked : (r.collectors || []).includes(x.id)).map((x) => x.id);
      });
      return el('label', { class: 'chip' }, box, ' ' + c.name);
    }));
    const del = el('button', { type: 'button', class: 'btn danger-outline', text: '×', 'aria-label': G('rule.remove') });
    del.onclick = () => { draft.rules.splice(i, 1); redraw(); };
    return el('tr', { 'data-rule': String(i) },
      el('td', { 'data-label': G('rule.segment') }, seg),
      el('td', { 'data-label': G('rule.min') }, amount('minAmount')),
      el('td', { 'data-label': G('rule.max') }, amount('maxAmount')),
      el('td', { 'data-label': G('rule.collectors') }, who),
      el('td', {}, del));
  }

  const via = (v) => (/^rule:\d+$/.test(v) ? G('via.rule', { n: Number(v.slice(5)) + 1 }) : G('via.' + v));

  function planView(p, money, names, title) {
    const cols = [G('col.collector'), G('col.receives'), G('col.balance')];
    const sc = [G('col.account'), G('col.debtor'), G('rule.segment'), G('col.balance'), G('col.to'), G('col.via')];
    return el('div', { class: 'plan' },
      el('h4', { text: title }),
      el('p', { id: 'assign-plan-summary' },
        el('strong', { text: G('plan.assigned', { n: num(p.assigned) }) }), ' · ',
        el('span', { class: p.skipped ? 'error' : 'muted', text: G('plan.left', { n: num(p.skipped), rule: num(p.noRule), full: num(p.full) }) })),
      p.byCollector.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'assign-plan-table' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i ? 'num' : '', text: c })))),
        el('tbody', {}, p.byCollector.map((l) => el('tr', { 'data-collector': l.collectorId },
          el('td', { 'data-label': cols[0], text: l.name || l.collectorId }),
          el('td', { 'data-label': cols[1], class: 'num', text: num(l.accounts) }),
          el('td', { 'data-label': cols[2], class: 'num', text: money(l.balance) })))))) : null,
      p.sample.length ? el('details', { id: 'assign-sample' }, el('summary', { text: G('plan.sample', { n: p.sample.length }) }),
        el('div', { class: 'table-wrap' }, el('table', { class: 'stack' },
          el('thead', {}, el('tr', {}, sc.map((c, i) => el('th', { class: i === 3 ? 'num' : '', text: c })))),
          el('tbody', {}, p.sample.map((m) => el('tr', {},
            el('td', { 'data-label': sc[0], text: m.accountId }),
            el('td', { 'data-label': sc[1], text: m.debtorName }),
            el('td', { 'data-label': sc[2], text: m.segment || '—' }),
            el('td', { 'data-label': sc[3], class: 'num', text: money(m.balance) }),
            el('td', { 'data-label': sc[4], text: m.to ? names[m.to] || m.to : G('plan.stays') }),
            el('td', { 'data-label': sc[5], text: via(m.via) }))))))) : null);
  }

  function runsCard(st, money, names, redraw) {
    const cols = [G('col.when'), G('col.mode'), G('col.accounts'), G('col.split'), ''];
    return el('section', { class: 'card', id: 'assign-runs' }, el('h3', { text: G('runs') }),
      el('p', { class: 'muted small', text: G('runsHelp') }),
      st.runs.length ? el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'assign-runs-table' },
        el('thead', {}, el('tr', {}, cols.map((c, i) => el('th', { class: i === 2 ? 'num' : '', text: c })))),
        el('tbody', {}, st.runs.map((r) => {
          const undo = el('button', { type: 'button', class: 'btn danger-outline', text: G('recall'), 'data-recall': r.id });
          undo.onclick = async () => {
            if (!window.confirm(G('recallConfirm', { n: num(r.assigned) }))) return;
            try {
              const res = await C.api('POST', tbase() + '/assignments/runs/' + enc(r.id) + '/recall');
              C.toast(G('recalled', { n: num(res.recalled) }));
              await redraw();
            } catch (e) { C.toast(C.errorText(e)); }
          };
          return el('tr', { 'data-run': r.id },
            el('td', { 'data-label': cols[0], text: when(r.at) }),
            el('td', { 'data-label': cols[1], text: G('mode.' + r.mode) }),
            el('td', { 'data-label': cols[2], class: 'num', text: num(r.assigned) }),
            el('td', { 'data-label': cols[3], class: 'small', text: r.byCollector.map((l) => (names[l.collectorId] || l.name) + ': ' + num(l.accounts)).join(' · ') }),
            el('td', { 'data-label': '' }, r.recalledAt ? el('span', { class: 'badge', text: G('wasRecalled', { n: num(r.recalled), date: when(r.recalledAt) }) }) : undo));
        })))) : el('p', { class: 'empty', id: 'assign-no-runs', text: G('noRuns') }));
  }
})();
