// The client company's face: upload a portfolio, follow its import, browse
// and recall accounts. Everything is built with Cartera.el (textContent only).
(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');
  const detail = document.getElementById('account-detail');
  const detailBody = document.getElementById('account-detail-body');
  const base = () => '/api/tenants/' + encodeURIComponent(C.tenant);

  const BUCKETS = ['current', '1-30', '31-60', '61-90', '91-180', '181-360', '360+'];
  const STATUSES = ['open', 'paid', 'recalled', 'legal'];
  const STATS = ['total', 'inserted', 'updated', 'unchanged', 'rejected', 'newDebtors', 'assigned'];
  const POLL_MS = 500;
  let currency = ''; // the tenant's, for preview rows without their own

  // tk translates key, falling back to a readable value instead of a raw key
  // when the server sends something the catalogue does not know yet.
  const tk = (key, fallback, vars) => { const s = C.t(key, vars); return s === key ? fallback : s; };
  const fmtInt = (n) => new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO').format(n || 0);
  const dateTime = (iso) => iso ? new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO',
    { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso)) : '';
  const show = (node, on) => { node.hidden = !on; };
  // fill is replaceChildren without the "null" text nodes the DOM would make.
  const fill = (node, ...kids) => node.replaceChildren(...kids.filter((k) => k !== null && k !== undefined && k !== false));

  // errorMessage turns an API failure into one sentence for the person.
  function errorMessage(e) {
    if (!e || !e.status) return C.t('error.network');
    if (e.status === 413) return C.t('error.too_large');
    if (e.status === 415) return C.t('error.unsupported_type');
    const d = e.data && typeof e.data === 'object' ? e.data : {};
    let msg = d.error || (d.code && tk('error.' + d.code, '')) || C.t(e.status >= 500 ? 'error.internal' : 'error.invalid');
    const extra = Object.entries(d.fields || {}).filter(([, v]) => v && v !== msg)
      .map(([k, v]) => tk('field.' + k, k) + ': ' + v);
    if (extra.length) msg += ' — ' + extra.join('; ');
    return msg;
  }
  const setError = (node, e) => { node.textContent = e ? (typeof e === 'string' ? e : errorMessage(e)) : ''; show(node, !!e); };

  // table builds a table whose cells carry their column name in data-label,
  // so the phone layout (CSS .stack) can show each row as a labelled card.
  function table(id, cls, cols, rows) {
    return el('div', { class: 'table-wrap' }, el('table', { id, class: cls },
      el('thead', {}, el('tr', {}, cols.map((c) => el('th', { class: c.num ? 'num' : '', scope: 'col', text: c.label })))),
      el('tbody', {}, rows)));
  }
  const cell = (label, content, cls) => el('td', { 'data-label': label, class: cls || '' }, content);

  function statusBadge(status) {
    const cls = { open: 'info', paid: 'ok', recalled: '', legal: 'bad' }[status] || '';
    return el('span', { class: 'badge ' + cls, text: tk('account.status.' + status, status) });
  }
  function importBadge(imp) {
    const cls = imp.status === 'failed' ? 'bad' : imp.status === 'done' ? (imp.rejected > 0 ? 'warn' : 'ok') : 'info';
    return el('span', { class: 'badge ' + cls, text: tk('import.status.' + imp.status, imp.status) });
  }

  // ---- Company summary ------------------------------------------------------
  function companyStrip(t) {
    const pct = new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { style: 'percent', minimumFractionDigits: 2 }).format(t.commissionRate || 0);
    const item = (k, v) => el('div', { class: 'fact' }, el('span', { class: 'kpi-label', text: C.t(k) }), el('strong', { text: v }));
    return el('section', { class: 'company-strip', id: 'company', 'aria-label': t.name },
      el('strong', { class: 'company-name', text: t.name }),
      item('tenant.country', t.country), item('tenant.currency', t.currency), item('tenant.commission', pct),
      t.debtorUrl ? el('div', { class: 'fact' }, el('span', { class: 'kpi-label', text: C.t('tenant.debtorUrl') }),
        el('a', { href: t.debtorUrl, id: 'company-debtor-url', text: t.debtorUrl.replace(/^https?:\/\//, '') })) : null);
  }

  // ---- 1. Upload a portfolio ----------------------------------------------
  function importCard(onFinished) {
    // The native file button speaks the browser's language, so it is hidden
    // and the label, in the page's language, opens the chooser instead.
    const file = el('input', { id: 'import-file', class: 'visually-hidden', type: 'file', accept: '.csv,.xlsx', 'aria-describedby': 'import-help' });
    const chosenName = el('span', { class: 'file-chosen muted', text: C.t('client.import.noFile') });
    const picker = el('label', { class: 'file-field', for: 'import-file' },
      el('span', { class: 'file-title', text: C.t('client.import.file') }), file,
      el('span', { class: 'file-picker' }, el('span', { class: 'btn', text: C.t('client.import.choose') }), chosenName,
        el('span', { class: 'muted small file-drop', text: C.t('client.import.drop') })));
    picker.addEventListener('dragover', (ev) => { ev.preventDefault(); picker.classList.add('dragging'); });
    picker.addEventListener('dragleave', () => picker.classList.remove('dragging'));
    picker.addEventListener('drop', (ev) => {
      ev.preventDefault(); picker.classList.remove('dragging');
      if (!ev.dataTransfer || !ev.dataTransfer.files.length) return;
      file.files = ev.dataTransfer.files;
      file.dispatchEvent(new Event('change'));
    });
    const errorBox = el('div', { id: 'import-error', class: 'alert', role: 'alert', hidden: true });
    // fail shows why a file was refused or a call failed; fail(null) clears it.
    const fail = (e, title) => {
      fill(errorBox, e ? el('strong', { text: C.t(title || 'client.import.refused') }) : null,
        e ? el('span', { text: typeof e === 'string' ? e : errorMessage(e) }) : null);
      show(errorBox, !!e);
    };
    const status = el('p', { class: 'muted small', role: 'status', hidden: true });
    const preview = el('div', { id: 'import-preview', class: 'import-preview', hidden: true });
    const start = el('button', { id: 'import-start', type: 'button', class: 'btn primary', text: C.t('client.import.start') });
    const bar = el('progress', { max: '1' });
    const barText = el('p', { class: 'small', role: 'status' });
    const progress = el('div', { id: 'import-progress', class: 'import-progress', hidden: true }, bar, barText);
    const result = el('div', { id: 'import-result', class: 'import-result', hidden: true, tabindex: '-1' });
    let chosen = null, watching = '';

    function reset() {
      fail(null); show(preview, false); show(progress, !!watching); show(result, false); show(status, false);
      preview.replaceChildren(); result.replaceChildren();
    }

    // What the person set in the column editor; sent with the preview and
    // the import, and saved by the server for the next file.
    let mapping = null, dateOrder = '';
    const FIELDS = ['document', 'document_type', 'name', 'invoice', 'due_date', 'amount', 'issue_date', 'currency',
      'email', 'phone', 'whatsapp', 'address', 'city', 'segment', 'description', 'contact_name', 'contact_role'];
    const form = () => {
      const fd = new FormData(); fd.append('file', chosen);
      if (mapping) fd.append('mapping', JSON.stringify(mapping));
      if (dateOrder) fd.append('dateOrder', dateOrder);
      return fd;
    };

    async function runPreview() {
      const mine = chosen;
      status.textContent = C.t('client.import.reading'); show(status, true);
      try {
        const p = await C.api('POST', base() + '/imports/preview', form());
        if (chosen !== mine) return; // another file was chosen meanwhile
        fail(null);
        renderPreview(p);
      } catch (e) {
        if (chosen !== mine) return;
        fail(e);
        // Columns not recognised: offer the editor over the file's own headers.
        const headers = e && e.data && e.data.detail && e.data.detail.headers;
        if (headers && headers.length) fill(preview, editor(headers, {}, '', true)), show(preview, true);
        else show(preview, false);
      } finally { if (chosen === mine) show(status, false); }
    }

    file.addEventListener('change', async () => {
      reset();
      mapping = null; dateOrder = '';
      chosen = file.files && file.files[0];
      chosenName.textContent = chosen ? chosen.name : C.t('client.import.noFile');
      chosenName.classList.toggle('muted', !chosen);
      if (!chosen) return;
      runPreview();
    });

    // editor lets the person say which column holds which field, and how
    // the file writes its dates; "Aplicar" previews again with that.
    function editor(headers, fieldOf, order, open) {
      const selects = headers.map((h, i) => {
        const sel = el('select', { id: 'map-col-' + i, 'data-header': h, 'aria-label': h || C.t('client.map.unnamed') },
          el('option', { value: '', text: C.t('client.map.auto') }),
          FIELDS.map((f) => el('option', { value: f, text: tk('field.' + f, f) })),
          el('option', { value: 'ignore', text: C.t('client.map.ignore') }));
        sel.value = (mapping && mapping[h]) || fieldOf[h] || '';
        return sel;
      });
      const orderSel = el('select', { id: 'map-date-order' },
        el('option', { value: '', text: C.t('client.map.orderCountry', { order: C.t('client.map.order.' + (order || (/^en-US/.test(tenantLocale) ? 'MDY' : 'DMY'))) }) }),
        el('option', { value: 'DMY', text: C.t('client.map.order.DMY') }),
        el('option', { value: 'MDY', text: C.t('client.map.order.MDY') }));
      orderSel.value = dateOrder;
      const apply = el('button', { type: 'button', class: 'btn', id: 'map-apply', text: C.t('client.map.apply') });
      apply.addEventListener('click', () => {
        const m = {};
        selects.forEach((sel) => { if (sel.value && sel.dataset.header) m[sel.dataset.header] = sel.value; });
        mapping = Object.keys(m).length ? m : null;
        dateOrder = orderSel.value;
        runPreview();
      });
      return el('details', { class: 'map-editor', id: 'map-editor', open: open ? '' : null },
        el('summary', { text: C.t('client.map.title') }),
        el('p', { class: 'muted small', text: C.t('client.map.help') }),
        el('div', { class: 'map-grid' }, headers.map((h, i) => h ? el('label', { for: 'map-col-' + i },
          el('span', { class: 'map-header', text: h }), selects[i]) : null)),
        el('label', { class: 'map-order' }, C.t('client.map.dateOrder'), orderSel),
        el('div', { class: 'actions' }, apply));
    }

    function renderPreview(p) {
      const fieldOf = {};
      p.columns.forEach((c) => { fieldOf[c.header] = c.field; });
      const mappingList = el('ul', { class: 'mapping' }, p.columns.map((c) => el('li', {},
        el('span', { class: 'map-header', text: c.header }),
        el('span', { class: 'map-arrow', 'aria-hidden': 'true', text: '→' }),
        el('span', { class: 'badge info', text: tk('field.' + c.field, c.field) }))));
      const bad = p.rows.filter((r) => r.errors && r.errors.length).length;
      const cols = [
        { key: 'row', label: C.t('client.col.row') }, { key: 'document', label: C.t('client.col.document') },
        { key: 'name', label: C.t('client.col.name') }, { key: 'invoice', label: C.t('client.col.invoice') },
        { key: 'due_date', label: C.t('client.col.dueDate') }, { key: 'amount', label: C.t('client.col.amount'), num: true },
        { key: 'notes', label: C.t('client.col.notes') }];
      const rows = p.rows.map((r) => {
        const errs = r.errors || [];
        const badFields = new Set(errs.map((e) => fieldOf[e.column]));
        const val = {
          row: r.row, document: r.document, name: r.name, invoice: r.invoice,
          due_date: r.dueDate ? C.date(r.dueDate) : '', amount: r.amount ? C.money(r.amount, r.currency || currency) : '',
        };
        return el('tr', { class: errs.length ? 'has-error' : '' },
          cols.slice(0, 6).map((c) => cell(c.label, val[c.key] === '' || val[c.key] === undefined ? '—' : String(val[c.key]),
            (c.num ? 'num ' : '') + (badFields.has(c.key) ? 'cell-error' : ''))),
          cell(cols[6].label, errs.length
            ? el('ul', { class: 'row-errors' }, errs.map((e) => el('li', {}, el('strong', { text: e.column + ': ' }), e.message)))
            : el('span', { class: 'badge ok', text: C.t('client.import.rowOk') })));
      });
      const d = p.dates || {};
      const dateNote = d.warning ? el('p', { id: 'import-dates', class: 'alert warn small', role: 'status',
        text: C.t('client.import.dates.' + d.warning, { order: C.t('client.map.order.' + d.order), n: fmtInt(d.ambiguous) }) }) : null;
      const saved = p.savedMapping ? el('p', { id: 'import-saved', class: 'muted small' }, C.t('client.map.savedUsed') + ' ',
        el('button', { type: 'button', class: 'link', id: 'map-forget', text: C.t('client.map.forget'),
          onclick: async () => {
            try { await C.api('DELETE', base() + '/imports/layout'); mapping = null; dateOrder = ''; runPreview(); } catch (e) { fail(e); }
          } })) : null;
      fill(preview,
        el('h3', { text: C.t('client.import.mapping') }),
        el('p', { class: 'muted small', text: C.t('client.import.kind', { kind: String(p.kind || '').toUpperCase(), n: p.columns.length }) }),
        saved, mappingList, dateNote,
        editor(p.headers || p.columns.map((c) => c.header), fieldOf, d.order, !!d.warning),
        el('h3', { text: C.t('client.import.preview') }),
        p.rows.length
          ? el('p', { class: 'small' + (bad ? ' warn-text' : ''), text: C.t('client.import.previewSummary', { ok: p.rows.length - bad, bad }) + (bad ? ' ' + C.t('client.import.previewNote') : '') })
          : el('p', { class: 'empty', text: C.t('client.import.previewEmpty') }),
        p.rows.length ? table('import-preview-table', 'stack preview', cols, rows) : null,
        el('div', { class: 'actions' }, start));
      start.disabled = !p.rows.length;
      show(preview, true);
    }

    start.addEventListener('click', async () => {
      if (!chosen) return;
      fail(null);
      start.disabled = true;
      try {
        const imp = await C.api('POST', base() + '/imports', form());
        show(preview, false);
        file.value = ''; // so the same file, once fixed, can be chosen again
        watch(imp.id);
      } catch (e) { fail(e); start.disabled = false; }
    });

    // watch polls an import until it ends; once the server has counted the
    // file's rows (expected) the bar shows the share done.
    function watch(id) {
      watching = id;
      show(result, false); show(progress, true);
      bar.removeAttribute('value');
      barText.textContent = C.t('client.import.queued');
      const tick = async () => {
        if (watching !== id) return;
        let imp;
        try { imp = await C.api('GET', base() + '/imports/' + encodeURIComponent(id)); } catch (e) {
          fail(e, 'client.import.lost'); show(progress, false); watching = ''; return;
        }
        if (imp.status === 'done' || imp.status === 'failed') {
          watching = '';
          bar.max = 1; bar.value = 1;
          show(progress, false);
          renderResult(imp);
          onFinished();
          return;
        }
        if (imp.status === 'running' && imp.expected > 0) {
          bar.max = imp.expected; bar.value = Math.min(imp.processed, imp.expected);
          const pct = new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { style: 'percent' }).format(Math.min(imp.processed / imp.expected, 1));
          barText.textContent = C.t('client.import.runningOf', { n: fmtInt(imp.processed), total: fmtInt(imp.expected), pct });
        } else {
          barText.textContent = imp.status === 'queued' ? C.t('client.import.queued') : C.t('client.import.running', { n: fmtInt(imp.processed) });
        }
        setTimeout(tick, POLL_MS);
      };
      setTimeout(tick, POLL_MS);
    }

    function renderResult(imp) {
      const stats = el('div', { class: 'stats' }, STATS.map((k) => el('div', { class: 'stat' + (k === 'rejected' && imp.rejected ? ' bad' : ''), 'data-stat': k },
        el('span', { class: 'stat-value', text: fmtInt(imp[k]) }), el('span', { class: 'stat-label', text: C.t('client.stat.' + k) }))));
      const errs = imp.errors || [];
      const errCols = [{ label: C.t('client.col.row'), num: true }, { label: C.t('client.col.column') }, { label: C.t('client.col.message') }];
      fill(result,
        el('div', { class: 'result-head' }, el('h3', { text: C.t('client.import.resultTitle') }), importBadge(imp)),
        el('p', { class: 'muted small', text: imp.fileName }),
        imp.status === 'failed' ? el('p', { class: 'error', text: C.t('client.import.failed', { reason: imp.failure || C.t('error.internal') }) }) : null,
        stats,
        imp.status === 'done' && !imp.rejected ? el('p', { class: 'ok-text', text: C.t('client.import.allOk') }) : null,
        errs.length ? el('h4', { text: C.t('client.import.errorsTitle') }) : null,
        errs.length && imp.rejected > errs.length ? el('p', { class: 'muted small', text: C.t('client.import.errorsShown', { shown: fmtInt(errs.length), total: fmtInt(imp.rejected) }) }) : null,
        errs.length ? table('import-errors', 'stack errors', errCols, errs.map((e) => el('tr', {},
          cell(errCols[0].label, String(e.row), 'num'), cell(errCols[1].label, e.column || '—'), cell(errCols[2].label, e.message)))) : null,
        imp.rejected > 0 ? el('p', {}, el('a', { class: 'btn', id: 'import-errors-csv', href: base() + '/imports/' + encodeURIComponent(imp.id) + '/errors.csv', download: '', text: C.t('client.import.errorsCsv') })) : null);
      show(result, true);
      result.focus({ preventScroll: true });
    }

    const card = el('section', { class: 'card', id: 'import' },
      el('h2', { text: C.t('client.import.title') }),
      el('p', { class: 'muted small', id: 'import-help', text: C.t('client.import.help') }),
      picker,
      status, errorBox, preview, progress, result);
    // resume shows the progress of an import started earlier (e.g. before a reload).
    card.resume = (id) => { if (!watching) watch(id); };
    return card;
  }

  // ---- 2. Recent imports ---------------------------------------------------
  function recentCard() {
    const body = el('div', {}, el('p', { class: 'muted small', text: C.t('client.loading') }));
    const card = el('section', { class: 'card', id: 'imports' }, el('h2', { text: C.t('client.recent.title') }), body);
    card.load = async () => {
      let res;
      try { res = await C.api('GET', base() + '/imports'); } catch (e) {
        body.replaceChildren(el('p', { class: 'error', text: errorMessage(e) })); return [];
      }
      const items = (res.items || []).slice(0, 10);
      if (!items.length) { body.replaceChildren(el('p', { class: 'empty', text: C.t('client.recent.empty') })); return items; }
      const cols = [{ label: C.t('client.col.file') }, { label: C.t('client.col.date') }, { label: C.t('client.col.status') },
        { label: C.t('client.stat.total'), num: true }, { label: C.t('client.stat.inserted'), num: true }, { label: C.t('client.stat.updated'), num: true },
        { label: C.t('client.stat.unchanged'), num: true }, { label: C.t('client.stat.rejected'), num: true }];
      body.replaceChildren(table('imports-table', 'stack', cols, items.map((i) => el('tr', {},
        cell(cols[0].label, el('span', { class: 'file-name', text: i.fileName })), cell(cols[1].label, dateTime(i.createdAt)),
        cell(cols[2].label, importBadge(i)), cell(cols[3].label, fmtInt(i.total), 'num'), cell(cols[4].label, fmtInt(i.inserted), 'num'),
        cell(cols[5].label, fmtInt(i.updated), 'num'), cell(cols[6].label, fmtInt(i.unchanged), 'num'),
        cell(cols[7].label, i.rejected > 0
          ? el('a', { href: base() + '/imports/' + encodeURIComponent(i.id) + '/errors.csv', download: '', title: C.t('client.import.errorsCsv'), text: fmtInt(i.rejected) })
          : fmtInt(i.rejected), 'num')))));
      return items;
    };
    return card;
  }

  // ---- 3. Accounts ---------------------------------------------------------
  function accountsCard() {
    const q = el('input', { id: 'accounts-q', type: 'search', name: 'q', maxlength: '100', autocomplete: 'off', placeholder: C.t('client.accounts.searchPlaceholder') });
    const status = el('select', { id: 'accounts-status', name: 'status' },
      el('option', { value: '', text: C.t('account.status.all') }), STATUSES.map((s) => el('option', { value: s, text: C.t('account.status.' + s) })));
    const bucket = el('select', { id: 'accounts-bucket', name: 'bucket' },
      el('option', { value: '', text: C.t('bucket.all') }), BUCKETS.map((b) => el('option', { value: b, text: C.t('bucket.' + b) })));
    const form = el('form', { id: 'accounts-filters', class: 'filters', role: 'search' },
      el('label', { class: 'grow' }, C.t('client.accounts.search'), q),
      el('label', {}, C.t('client.col.status'), status),
      el('label', {}, C.t('client.accounts.bucket'), bucket));
    const error = el('p', { id: 'accounts-error', class: 'error', role: 'alert', hidden: true });
    const count = el('p', { id: 'accounts-count', class: 'muted small', role: 'status' });
    const cols = [{ label: C.t('client.col.invoice') }, { label: C.t('client.col.debtor') }, { label: C.t('client.col.dueDate') },
      { label: C.t('client.col.dpd'), num: true }, { label: C.t('client.col.balance'), num: true }, { label: C.t('client.col.status') }];
    const tbody = el('tbody', {});
    const tbl = el('div', { class: 'table-wrap' }, el('table', { id: 'accounts-table', class: 'stack accounts' },
      el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : '', text: c.label })))), tbody));
    const empty = el('p', { class: 'empty', hidden: true });
    const more = el('button', { id: 'accounts-more', type: 'button', class: 'btn', hidden: true, text: C.t('client.accounts.more') });
    let next = '', seq = 0, shown = 0;

    function row(a) {
      const dpd = a.daysPastDue > 0 ? fmtInt(a.daysPastDue) : C.t('client.accounts.current');
      // The whole row opens the detail; the invoice button is the keyboard's way in.
      const tr = el('tr', { class: 'clickable', 'data-id': a.id },
        cell(cols[0].label, el('button', { type: 'button', class: 'link invoice-link', title: C.t('client.accounts.open', { invoice: a.invoice }), text: a.invoice })),
        cell(cols[1].label, el('div', { class: 'who' }, el('span', { text: a.debtor.name }), el('span', { class: 'muted small', text: a.debtor.document }))),
        cell(cols[2].label, C.date(a.dueDate)),
        cell(cols[3].label, dpd, 'num' + (a.daysPastDue > 90 ? ' late' : a.daysPastDue <= 0 ? ' muted' : '')),
        cell(cols[4].label, C.money(a.balance, a.currency), 'num'),
        cell(cols[5].label, statusBadge(a.status)));
      tr.addEventListener('click', () => openDetail(a.id));
      return tr;
    }

    async function load(append) {
      const mine = ++seq;
      const p = new URLSearchParams({ q: q.value.trim(), status: status.value, bucket: bucket.value, limit: '50', cursor: append ? next : '' });
      more.disabled = true;
      tbl.setAttribute('aria-busy', 'true');
      try {
        const res = await C.api('GET', base() + '/accounts?' + p.toString());
        if (mine !== seq) return;
        setError(error, null);
        const rows = (res.items || []).map(row);
        if (append) tbody.append(...rows); else { tbody.replaceChildren(...rows); shown = 0; }
        shown += rows.length;
        next = res.next || '';
        const filtered = q.value.trim() || status.value || bucket.value;
        empty.textContent = C.t(filtered ? 'client.accounts.empty' : 'client.accounts.none');
        show(empty, shown === 0); show(tbl, shown > 0); show(more, !!next);
        count.textContent = shown === 0 ? '' : C.t(shown === 1 ? 'client.accounts.countOne' : 'client.accounts.countMany', { n: fmtInt(shown) }) + (next ? ' ' + C.t('client.accounts.hasMore') : '');
      } catch (e) {
        if (mine === seq) setError(error, e);
      } finally {
        if (mine === seq) { more.disabled = false; tbl.removeAttribute('aria-busy'); }
      }
    }

    let timer;
    q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => load(false), 300); });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); clearTimeout(timer); load(false); });
    status.addEventListener('change', () => load(false));
    bucket.addEventListener('change', () => load(false));
    more.addEventListener('click', () => load(true));

    const card = el('section', { class: 'card', id: 'accounts' }, el('h2', { text: C.t('client.accounts.title') }),
      form, error, count, tbl, empty, el('div', { class: 'actions center' }, more));
    card.load = () => load(false);
    return card;
  }

  // ---- Account detail (a dialog over the list) -----------------------------
  let refreshAccounts = () => {};
  // Money posted elsewhere on the page (a bank file) changes balances.
  document.addEventListener('cartera:money', () => refreshAccounts());
  async function openDetail(id, flash) {
    detailBody.replaceChildren(el('p', { class: 'muted', text: C.t('client.loading') }));
    if (!detail.open) detail.showModal();
    let a;
    try { a = await C.api('GET', base() + '/accounts/' + encodeURIComponent(id)); } catch (e) {
      detailBody.replaceChildren(detailHead(C.t('client.detail.error')), el('p', { class: 'error', role: 'alert', text: errorMessage(e) })); return;
    }
    renderDetail(a, flash);
  }

  function detailHead(title) {
    return el('div', { class: 'detail-head' },
      el('h2', { id: 'account-detail-title', text: title }),
      el('button', { type: 'button', class: 'btn close', id: 'account-detail-close', 'aria-label': C.t('client.detail.close'), text: '×', onclick: () => detail.close() }));
  }

  function renderDetail(a, flash) {
    const fact = (label, value, cls) => el('div', { class: 'fact' }, el('dt', { text: label }), el('dd', { class: cls || '', text: value }));
    const contacts = (a.debtor.contacts || []);
    const contactList = contacts.length ? el('ul', { class: 'contacts' }, contacts.map((c) => {
      const href = c.kind === 'email' ? 'mailto:' + c.value : (c.kind === 'phone' || c.kind === 'whatsapp') ? 'tel:' + c.value : null;
      return el('li', { class: c.invalid ? 'invalid' : '' },
        el('span', { class: 'kpi-label', text: tk('contact.' + c.kind, c.kind) }),
        href ? el('a', { href, text: c.value }) : el('span', { text: c.value + (c.city ? ' · ' + c.city : '') }));
    })) : el('p', { class: 'muted small', text: C.t('client.detail.noContacts') });
    const ledgerCols = [{ label: C.t('client.col.date') }, { label: C.t('client.col.kind') }, { label: C.t('client.col.amount'), num: true }];
    const ledger = (a.ledger || []).slice().sort((x, y) => String(y.at).localeCompare(String(x.at)));
    const movements = ledger.length ? table('account-ledger', 'stack ledger', ledgerCols, ledger.map((m) => el('tr', {},
      cell(ledgerCols[0].label, C.date(m.at)),
      cell(ledgerCols[1].label, el('div', {}, el('span', { text: tk('ledger.' + m.kind, m.kind) }), m.note ? el('div', { class: 'muted small', text: m.note }) : null)),
      cell(ledgerCols[2].label, C.money(m.amount, a.currency), 'num' + (m.amount < 0 ? ' credit' : '')))))
      : el('p', { class: 'muted small', text: C.t('client.detail.noLedger') });

    const err = el('p', { class: 'error', role: 'alert', hidden: true });
    const reason = el('textarea', { id: 'recall-reason', name: 'reason', rows: '3', maxlength: '500', required: true });
    const recallForm = el('form', { id: 'recall-form', class: 'recall-form', hidden: true },
      el('p', { class: 'small', text: C.t('client.detail.recallHelp') }),
      el('label', {}, C.t('client.detail.recallReason'), reason), err,
      el('div', { class: 'actions' },
        el('button', { type: 'submit', class: 'btn danger', id: 'recall-confirm', text: C.t('client.detail.recallConfirm') }),
        el('button', { type: 'button', class: 'btn', text: C.t('client.detail.cancel'), onclick: () => { show(recallForm, false); show(recallBtn, true); } })));
    const recallBtn = el('button', { type: 'button', class: 'btn danger-outline', id: 'account-recall', text: C.t('client.detail.recall'),
      onclick: () => { show(recallForm, true); show(recallBtn, false); reason.focus(); } });
    recallForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const why = reason.value.trim();
      if (!why) { setError(err, C.t('client.detail.recallNeedReason')); reason.focus(); return; }
      const b = recallForm.querySelector('button[type=submit]');
      b.disabled = true;
      try {
        await C.api('POST', base() + '/accounts/' + encodeURIComponent(a.id) + '/recall', { reason: why });
        refreshAccounts();
        openDetail(a.id, C.t('client.detail.recalled'));
      } catch (e) { setError(err, e); b.disabled = false; }
    });
    const canRecall = a.status === 'open' || a.status === 'legal';

    fill(detailBody,
      detailHead(C.t('client.detail.title', { invoice: a.invoice })),
      flash ? el('p', { class: 'notice ok', role: 'status', text: flash }) : null,
      el('div', { class: 'detail-status' }, statusBadge(a.status),
        el('span', { class: 'muted small', text: a.collectorId ? C.t('client.detail.assigned') : C.t('client.detail.unassigned') })),
      el('dl', { class: 'facts' },
        fact(C.t('client.col.balance'), C.money(a.balance, a.currency), 'big'),
        fact(C.t('client.col.original'), C.money(a.originalAmount, a.currency)),
        fact(C.t('client.col.dueDate'), C.date(a.dueDate)),
        fact(C.t('client.col.dpd'), a.daysPastDue > 0 ? fmtInt(a.daysPastDue) : C.t('client.accounts.current')),
        fact(C.t('client.accounts.bucket'), tk('bucket.' + a.bucket, a.bucket || '—'))),
      el('h3', { text: C.t('client.col.debtor') }),
      el('p', { class: 'who' }, el('strong', { text: a.debtor.name }), el('span', { class: 'muted small', text: C.t('client.col.document') + ' ' + a.debtor.document })),
      el('h4', { text: C.t('client.detail.contacts') }), contactList,
      el('h3', { text: C.t('client.detail.ledger') }), movements,
      canRecall ? el('div', { class: 'detail-actions' }, recallBtn, recallForm) : null);
  }

  // ---- 4. Disputes ---------------------------------------------------------
  // The debtors' disputes: read the claim and its attachment, then accept it
  // (crediting the whole disputed balance or part of it) or reject it with a
  // note the debtor will read. The debtor is told either way.
  const DISPUTE_STATUSES = ['open', 'accepted', 'rejected'];
  let tenantLocale = 'es-CO';

  // Amounts are typed in the tenant's locale.
  const toMinor = (text) => C.toMinor(text, tenantLocale);
  const fmtSize = (n) => new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { maximumFractionDigits: 1 }).format(n / 1024) + ' KB';

  function disputesCard(onChange) {
    const status = el('select', { id: 'disputes-status', name: 'status' },
      el('option', { value: '', text: C.t('client.disputes.all') }),
      DISPUTE_STATUSES.map((s) => el('option', { value: s, text: C.t('client.disputes.status.' + s) })));
    status.value = 'open';
    const error = el('p', { id: 'disputes-error', class: 'error', role: 'alert', hidden: true });
    const count = el('p', { id: 'disputes-count', class: 'muted small', role: 'status' });
    const list = el('ul', { id: 'dispute-list', class: 'dispute-list' });
    const empty = el('p', { class: 'empty', id: 'disputes-empty', hidden: true });
    const more = el('button', { id: 'disputes-more', type: 'button', class: 'btn', hidden: true, text: C.t('client.accounts.more') });
    let next = '', seq = 0, shown = 0;

    function badge(st) {
      const cls = { open: 'warn', accepted: 'ok', rejected: 'bad' }[st] || '';
      return el('span', { class: 'badge ' + cls, text: tk('client.disputes.status.' + st, st) });
    }

    function item(d) {
      const li = el('li', { class: 'dispute-item', 'data-id': d.id, 'data-status': d.status });
      const att = d.attachment ? el('p', { class: 'small' },
        el('a', { class: 'btn', id: 'dispute-attachment-' + d.id, href: base() + '/disputes/' + encodeURIComponent(d.id) + '/attachment',
          target: '_blank', rel: 'noopener', text: C.t('client.disputes.attachment') }),
        el('span', { class: 'muted small', text: ' ' + d.attachment.name + ' · ' + fmtSize(d.attachment.size) })) : null;
      const history = el('ul', { class: 'history' }, (d.history || []).map((h) => el('li', {},
        el('span', { class: 'muted', text: dateTime(h.at) + ' · ' }), tk('client.disputes.event.' + h.action, h.action),
        h.message ? el('span', { class: 'muted', text: ' — ' + h.message }) : null)));
      const resolved = d.status === 'accepted'
        ? el('p', { class: 'ok-text', text: C.t('client.disputes.credited', { amount: C.money(d.creditAmount, d.currency, tenantLocale) }) })
        : d.status === 'rejected' ? el('p', { class: 'small', text: C.t('client.disputes.rejectedNote', { note: d.note }) }) : null;
      fill(li,
        el('div', { class: 'dispute-head' },
          el('div', {}, el('strong', { text: C.t('client.disputes.invoices', { list: d.invoices.join(', ') }) }), ' ', badge(d.status)),
          el('span', { class: 'muted small', text: dateTime(d.createdAt) })),
        el('p', { class: 'who' }, el('span', { text: d.debtor.name }), el('span', { class: 'muted small', text: C.t('client.col.document') + ' ' + (d.debtor.document || '') })),
        el('p', {}, el('strong', { text: tk('debtor.reason.' + d.reason, d.reason) }), d.description ? el('span', { text: ' — ' + d.description }) : null),
        att, resolved, history,
        d.status === 'open' ? resolveForms(d, li) : null);
      return li;
    }

    function resolveForms(d, li) {
      const err = el('p', { class: 'error', role: 'alert', hidden: true });
      const full = el('input', { type: 'radio', name: 'credit-' + d.id, value: 'full', checked: true, id: 'dispute-full-' + d.id });
      const part = el('input', { type: 'radio', name: 'credit-' + d.id, value: 'partial', id: 'dispute-partial-' + d.id });
      const amount = el('input', { id: 'dispute-amount-' + d.id, name: 'creditAmount', inputmode: 'decimal', autocomplete: 'off', disabled: true,
        placeholder: C.money(123456, d.currency, tenantLocale) });
      full.addEventListener('change', () => { amount.disabled = true; });
      part.addEventListener('change', () => { amount.disabled = false; amount.focus(); });
      const acceptNote = el('textarea', { id: 'dispute-accept-note-' + d.id, name: 'note', rows: '2', maxlength: '2000' });
      const acceptForm = el('form', { class: 'accept-form', id: 'dispute-accept-form-' + d.id, hidden: true },
        el('fieldset', { class: 'pick' }, el('legend', { text: C.t('client.disputes.credit') }),
          el('label', {}, full, ' ', C.t('client.disputes.creditFull')),
          el('label', {}, part, ' ', C.t('client.disputes.creditPartial'))),
        el('label', {}, C.t('client.disputes.amount', { currency: d.currency }), amount),
        el('label', {}, C.t('client.disputes.noteOptional'), acceptNote),
        el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'btn primary', id: 'dispute-accept-confirm-' + d.id, text: C.t('client.disputes.acceptConfirm') }),
          el('button', { type: 'button', class: 'btn', text: C.t('client.detail.cancel'), onclick: () => reset() })));
      const rejectNote = el('textarea', { id: 'dispute-reject-note-' + d.id, name: 'note', rows: '2', maxlength: '2000', required: true });
      const rejectForm = el('form', { class: 'reject-form', id: 'dispute-reject-form-' + d.id, hidden: true, novalidate: true },
        el('label', {}, C.t('client.disputes.rejectNote'), rejectNote),
        el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'btn danger', id: 'dispute-reject-confirm-' + d.id, text: C.t('client.disputes.rejectConfirm') }),
          el('button', { type: 'button', class: 'btn', text: C.t('client.detail.cancel'), onclick: () => reset() })));
      const buttons = el('div', { class: 'dispute-actions' },
        el('button', { type: 'button', class: 'btn primary', id: 'dispute-accept-' + d.id, text: C.t('client.disputes.accept'),
          onclick: () => { show(buttons, false); show(acceptForm, true); } }),
        el('button', { type: 'button', class: 'btn danger-outline', id: 'dispute-reject-' + d.id, text: C.t('client.disputes.reject'),
          onclick: () => { show(buttons, false); show(rejectForm, true); rejectNote.focus(); } }));
      function reset() { setError(err, null); show(acceptForm, false); show(rejectForm, false); show(buttons, true); }
      async function send(form, body) {
        const b = form.querySelector('button[type=submit]');
        b.disabled = true; setError(err, null);
        try {
          await C.api('POST', base() + '/disputes/' + encodeURIComponent(d.id) + '/resolve', body);
          C.toast(C.t(body.decision === 'accept' ? 'client.disputes.accepted' : 'client.disputes.rejected'));
          onChange();
          load(false);
        } catch (e) { setError(err, e); b.disabled = false; }
      }
      acceptForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const body = { decision: 'accept', note: acceptNote.value.trim() };
        if (part.checked) {
          const minor = toMinor(amount.value);
          if (!(minor > 0)) { setError(err, C.t('client.disputes.badAmount', { example: C.money(15000000, d.currency, tenantLocale) })); amount.focus(); return; }
          body.creditAmount = minor;
        }
        send(acceptForm, body);
      });
      rejectForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const note = rejectNote.value.trim();
        if (!note) { setError(err, C.t('client.disputes.needNote')); rejectNote.focus(); return; }
        send(rejectForm, { decision: 'reject', note });
      });
      return el('div', { class: 'dispute-resolve' }, buttons, acceptForm, rejectForm, err);
    }

    async function load(append) {
      const mine = ++seq;
      more.disabled = true;
      const p = new URLSearchParams({ status: status.value, limit: '20', cursor: append ? next : '' });
      try {
        const res = await C.api('GET', base() + '/disputes?' + p.toString());
        if (mine !== seq) return;
        setError(error, null);
        const items = (res.items || []).map(item);
        if (append) list.append(...items); else { list.replaceChildren(...items); shown = 0; }
        shown += items.length;
        next = res.next || '';
        empty.textContent = C.t(status.value === 'open' ? 'client.disputes.noneOpen' : 'client.disputes.none');
        show(empty, shown === 0); show(list, shown > 0); show(more, !!next);
        count.textContent = shown ? C.t('client.disputes.count', { n: fmtInt(shown) }) + (next ? ' ' + C.t('client.accounts.hasMore') : '') : '';
      } catch (e) { if (mine === seq) setError(error, e); } finally { if (mine === seq) more.disabled = false; }
    }
    status.addEventListener('change', () => load(false));
    more.addEventListener('click', () => load(true));
    const card = el('section', { class: 'card', id: 'disputes' },
      el('h2', { text: C.t('client.disputes.title') }),
      el('p', { class: 'muted small', text: C.t('client.disputes.help') }),
      el('div', { class: 'filters' }, el('label', {}, C.t('client.col.status'), status)),
      error, count, list, empty, el('div', { class: 'actions center' }, more));
    card.load = () => load(false);
    return card;
  }

  // disputesKPI puts the open disputes among the dashboard's cards
  // (dashboard.js redraws them when the period changes, so it is re-added).
  function disputesKPI() {
    let open = null;
    const place = () => {
      const kpis = document.getElementById('dash-kpis');
      if (!kpis || open === null) return;
      let node = document.getElementById('kpi-disputes');
      if (!node) {
        node = el('a', { class: 'dash-kpi', id: 'kpi-disputes', href: '#disputes' },
          el('span', { class: 'kpi-label', text: C.t('client.disputes.kpi') }), el('strong', { class: 'kpi' }),
          el('span', { class: 'muted small', text: C.t('client.disputes.kpiHint') }));
        kpis.prepend(node);
      }
      // Write only on change: each write is itself a mutation this observer
      // sees, and an unconditional write would loop forever.
      const kpi = node.querySelector('.kpi');
      if (kpi.textContent !== open) kpi.textContent = open;
      if (node.classList.contains('alert') !== (open !== '0')) node.classList.toggle('alert', open !== '0');
    };
    new MutationObserver(place).observe(view, { childList: true, subtree: true });
    return async () => {
      try {
        const res = await C.api('GET', base() + '/disputes?status=open&limit=500');
        open = fmtInt(res.items.length) + (res.next ? '+' : '');
      } catch (e) { open = '—'; }
      place();
    };
  }

  async function render() {
    const t = C.tenants.find((x) => x.slug === C.tenant);
    if (!t) { view.replaceChildren(el('p', { class: 'empty', text: C.t('client.noTenant') })); return; }
    currency = t.currency;
    tenantLocale = t.locale || (t.country === 'US' ? 'en-US' : 'es-CO');
    const recent = recentCard();
    const accounts = accountsCard();
    refreshAccounts = accounts.load;
    const imp = importCard(() => { recent.load(); accounts.load(); });
    const openCount = disputesKPI();
    const disputes = disputesCard(() => { openCount(); accounts.load(); });
    // The "Tablero" (reports dashboard) lives in dashboard.js.
    fill(view, companyStrip(t), C.dashboard ? C.dashboard.section() : null, imp, recent, disputes, accounts);
    detail.addEventListener('click', (ev) => { if (ev.target === detail) detail.close(); }); // backdrop
    const [items] = await Promise.all([recent.load(), accounts.load(), disputes.load(), openCount()]);
    const live = (items || []).find((i) => i.status === 'queued' || i.status === 'running');
    if (live) imp.resume(live.id);
  }
  C.staff().then(render).catch((e) => C.toast(errorMessage(e)));
})();
