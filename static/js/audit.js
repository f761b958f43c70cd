// The audit trail in the manager face (section #/audit): who did what to
// which record, when and from where, with filters, a cursor and the CSV.
// manager.js draws the tabs; this file adds its own tab to #manager-tabs and
// takes the view over when the hash is #/audit.
(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  if (document.body.dataset.face !== 'manager') return;
  const view = document.getElementById('view');
  const A = (k, v) => C.t('audit.' + k, v);
  const tk = (key, fallback) => { const s = C.t(key); return s === key ? fallback : s; };
  const enc = encodeURIComponent;
  const FAMILIES = ['login', 'logout', 'user', 'tenant', 'import', 'account', 'assignment', 'activity', 'promise', 'payment',
    'dispute', 'plan', 'debtor', 'policy', 'caps', 'export', 'privacy', 'authz', 'csrf'];
  const zone = () => ((C.tenants || []).find((t) => t.slug === C.tenant) || {}).timezone || 'America/Bogota';
  const when = (iso) => new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO',
    { dateStyle: 'medium', timeStyle: 'medium', timeZone: zone() }).format(new Date(iso));
  const onAudit = () => /^#\/audit\b/.test(location.hash);

  // The tab joins manager.js's tabs whenever they are drawn.
  function addTab() {
    const tabs = document.getElementById('manager-tabs');
    if (!tabs) return;
    let tab = document.getElementById('tab-audit');
    if (!tab) {
      tab = el('a', { class: 'btn', href: '#/audit', id: 'tab-audit', text: A('tab') });
      tabs.append(tab);
    }
    const on = onAudit();
    tab.classList.toggle('primary', on);
    if (on) {
      tabs.querySelectorAll('a').forEach((a) => { if (a !== tab) { a.classList.remove('primary'); a.removeAttribute('aria-current'); } });
      tab.setAttribute('aria-current', 'page');
    } else tab.removeAttribute('aria-current');
  }

  // take replaces what manager.js drew under the tabs with the audit section.
  let drawn = null;
  function take() {
    addTab();
    if (!onAudit()) { drawn = null; return; }
    if (drawn && view.contains(drawn)) return;
    const tabs = document.getElementById('manager-tabs');
    if (!tabs || !C.tenant) return;
    drawn = section();
    view.replaceChildren(tabs, drawn);
    const dash = document.getElementById('dashboard');
    if (dash) dash.hidden = true;
  }

  function section() {
    const admin = C.me && C.me.role === 'admin';
    const scope = admin ? el('select', { id: 'audit-scope', name: 'scope' },
      el('option', { value: 'tenant', text: A('scope.tenant') }), el('option', { value: 'platform', text: A('scope.platform') })) : null;
    const actor = el('select', { id: 'audit-actor', name: 'actor' }, el('option', { value: '', text: A('filter.anyone') }));
    const action = el('select', { id: 'audit-action', name: 'action' }, el('option', { value: '', text: A('filter.anything') }),
      FAMILIES.map((f) => el('option', { value: f, text: tk('audit.family.' + f, f) })));
    const record = el('input', { id: 'audit-record', name: 'record', type: 'search', maxlength: '100', autocomplete: 'off', placeholder: A('filter.recordHint') });
    const from = el('input', { id: 'audit-from', name: 'from', type: 'date' });
    const to = el('input', { id: 'audit-to', name: 'to', type: 'date' });
    const form = el('form', { id: 'audit-filters', class: 'filters', role: 'search' },
      scope ? el('label', {}, A('filter.scope'), scope) : null,
      el('label', {}, A('filter.actor'), actor), el('label', {}, A('filter.action'), action),
      el('label', { class: 'grow' }, A('filter.record'), record),
      el('label', {}, A('filter.from'), from), el('label', {}, A('filter.to'), to));
    const error = el('p', { id: 'audit-error', class: 'error', role: 'alert', hidden: true });
    const count = el('p', { id: 'audit-count', class: 'muted small', role: 'status' });
    const cols = ['when', 'who', 'action', 'record', 'where', 'details'].map((k) => A('col.' + k));
    const tbody = el('tbody', {});
    const tbl = el('div', { class: 'table-wrap' }, el('table', { id: 'audit-table', class: 'stack audit' },
      el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: c })))), tbody));
    const empty = el('p', { class: 'empty', id: 'audit-empty', hidden: true, text: A('empty') });
    const more = el('button', { id: 'audit-more', type: 'button', class: 'btn', hidden: true, text: A('more') });
    const csv = el('a', { class: 'btn', id: 'audit-csv', download: '', text: A('csv') });
    let next = '', seq = 0, shown = 0;

    const platform = () => scope && scope.value === 'platform';
    const path = () => platform() ? '/api/audit' : '/api/tenants/' + enc(C.tenant) + '/audit';
    function params(cursor) {
      const p = new URLSearchParams();
      if (platform()) p.set('platform', 'true');
      for (const [k, v] of [['actor', actor.value], ['action', action.value], ['record', record.value.trim()], ['from', from.value], ['to', to.value]]) if (v) p.set(k, v);
      csv.href = path() + '.csv' + (p.toString() ? '?' + p.toString() : '');
      p.set('limit', '50');
      if (cursor) p.set('cursor', cursor);
      return p.toString();
    }

    function who(a) {
      if (!a.id) return el('span', { class: 'muted', text: A('who.anonymous') });
      const role = a.role ? tk('audit.role.' + a.role, a.role) : '';
      if (a.role === 'system') return el('div', { class: 'who' }, el('span', { text: A('who.system') }), el('span', { class: 'muted small', text: a.id.replace(/^system:/, '') }));
      return el('div', { class: 'who' }, el('span', { text: a.name || a.email || a.id }),
        el('span', { class: 'muted small', text: [a.email && a.email !== a.name ? a.email : '', role].filter(Boolean).join(' · ') }));
    }
    function details(d) {
      const ks = Object.keys(d || {});
      if (!ks.length) return '—';
      return el('ul', { class: 'reasons' }, ks.map((k) => el('li', {},
        el('span', { class: 'muted', text: tk('audit.detail.' + k, k) + ': ' }), typeof d[k] === 'object' ? JSON.stringify(d[k]) : String(d[k]))));
    }
    // A tenant's records are shown by their key (F-1, not acme:F-1).
    const shortRecord = (it) => !it.record ? '—' : it.tenant && it.record.startsWith(it.tenant + ':') ? it.record.slice(it.tenant.length + 1) : it.record;
    function row(it) {
      return el('tr', { 'data-id': it.id, 'data-action': it.action },
        el('td', { 'data-label': cols[0], text: when(it.at) }),
        el('td', { 'data-label': cols[1] }, who(it.actor)),
        el('td', { 'data-label': cols[2] }, el('strong', { text: tk('audit.action.' + it.action, it.action) }),
          el('div', { class: 'muted small', text: it.action })),
        el('td', { 'data-label': cols[3], class: 'record', text: shortRecord(it) }),
        el('td', { 'data-label': cols[4] }, el('div', { text: it.ip || '—' }),
          it.userAgent ? el('div', { class: 'muted small ua', title: it.userAgent, text: it.userAgent }) : null),
        el('td', { 'data-label': cols[5] }, details(it.details)));
    }

    async function load(append) {
      const mine = ++seq;
      more.disabled = true;
      try {
        const res = await C.api('GET', path() + '?' + params(append ? next : ''));
        if (mine !== seq) return;
        error.hidden = true;
        const rows = res.items.map(row);
        if (append) tbody.append(...rows); else { tbody.replaceChildren(...rows); shown = 0; }
        shown += rows.length;
        next = res.next || '';
        empty.hidden = shown > 0; tbl.hidden = shown === 0; more.hidden = !next;
        count.textContent = shown ? A(next ? 'countMore' : 'count', { n: shown }) : '';
      } catch (e) {
        if (mine !== seq) return;
        const f = (e.data && e.data.fields) || {};
        error.textContent = Object.keys(f).length ? Object.keys(f).map((k) => A('filter.' + k) + ': ' + tk('audit.error.' + f[k], f[k])).join('; ') : C.errorText(e);
        error.hidden = false;
      } finally { if (mine === seq) more.disabled = false; }
    }

    form.addEventListener('submit', (ev) => { ev.preventDefault(); load(false); });
    [actor, action, from, to].concat(scope ? [scope] : []).forEach((x) => x.addEventListener('change', () => load(false)));
    let timer;
    record.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => load(false), 300); });
    more.addEventListener('click', () => load(true));
    C.api('GET', '/api/tenants/' + enc(C.tenant) + '/users').then((res) => {
      actor.append(...res.items.map((u) => el('option', { value: u.id, text: (u.name || u.email) + ' · ' + tk('audit.role.' + u.role, u.role) })));
    }).catch(() => {});
    load(false);
    return el('section', { class: 'card', id: 'audit' },
      el('div', { class: 'queue-head' }, el('div', {}, el('h2', { text: A('title') }), el('p', { class: 'muted small', text: A('help') })), csv),
      form, error, count, tbl, empty, el('div', { class: 'actions center' }, more));
  }

  new MutationObserver(take).observe(view, { childList: true });
  window.addEventListener('hashchange', take);
})();
