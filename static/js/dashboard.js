// The client and manager dashboard ("Tablero"): KPI cards, Chart.js charts
// and the report downloads of a period. Every figure comes from
// /reports/summary, the same numbers the PDFs and CSVs carry. Built with
// Cartera.el only; no inline script or style (CSP).
(function () {
  'use strict';
  const C = window.Cartera;
  const face = document.body && document.body.dataset.face;
  if (!C || (face !== 'client' && face !== 'manager')) return;
  const el = C.el;
  const BRAND = '#0f5c8c', ACCENT = '#e67e22', MUTED = '#5d6b7a';

  const base = () => '/api/tenants/' + encodeURIComponent(C.tenant) + '/reports/';
  const locale = (k) => (C.lang === 'en' ? 'en-US' : (k && k.locale) || 'es-CO');
  const money = (k, v) => C.money(v, k.currency, locale(k));
  const compact = (k, v) => new Intl.NumberFormat(locale(k), { notation: 'compact', maximumFractionDigits: 1 }).format((v || 0) / 100);
  const pct = (bp) => new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format((bp || 0) / 10000);
  const int = (n) => new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO').format(n || 0);
  const monthLabel = (ym) => {
    const d = new Date(ym + '-15T12:00:00Z');
    return new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { month: 'short', year: '2-digit' }).format(d);
  };

  const accountsText = (n) => C.t(n === 1 ? 'reports.dash.account1' : 'reports.dash.accounts', { n: int(n) });

  function card(id, label, value, note) {
    return el('div', { class: 'dash-kpi', id: 'kpi-' + id },
      el('span', { class: 'kpi-label', text: label }),
      el('strong', { class: 'kpi', text: value }),
      note ? el('span', { class: 'muted small', text: note }) : null);
  }

  function kpis(k) {
    const p = k.promises, c = k.contactRate;
    return el('div', { class: 'dash-kpis', id: 'dash-kpis' },
      card('recovered', C.t('reports.kpi.recovered'), money(k, k.recovered.amount)),
      card('collected', C.t('reports.kpi.collected'), money(k, k.collected || 0), C.t('reports.kpi.collectedHint')),
      card('rate', C.t('reports.kpi.recoveryRate'), pct(k.recoveryRate.bp), C.t('reports.dash.ofPlaced')),
      card('outstanding', C.t('reports.kpi.outstanding'), money(k, k.outstanding.amount), accountsText(k.outstanding.count)),
      card('placed', C.t('reports.kpi.placed'), money(k, k.placed.amount), accountsText(k.placed.count)),
      card('promises', C.t('reports.kpi.promisesKept'), pct(p.keptRate.bp), C.t('reports.dash.keptOf', { kept: int(p.kept), total: int(p.kept + p.broken) })),
      card('contact', C.t('reports.kpi.contactRate'), pct(c.bp), C.t(c.open === 1 ? 'reports.dash.contacted1' : 'reports.dash.contacted', { n: int(c.contacted), total: int(c.open) })),
      card('dso', C.t('reports.kpi.dso'), k.dso.days === null ? '—' : new Intl.NumberFormat(locale(k), { maximumFractionDigits: 1 }).format(k.dso.days), C.t('reports.dash.dsoDays')),
      card('plans', C.t('reports.kpi.plans'), int(k.plans.active), C.t('reports.dash.plans', { created: int(k.plans.created), completed: int(k.plans.completed), defaulted: int(k.plans.defaulted) })));
  }

  const charts = [];
  function chart(canvas, cfg) {
    if (!window.Chart) return;
    charts.push(new window.Chart(canvas, cfg));
  }
  function chartBox(id, title) {
    const canvas = el('canvas', { id, role: 'img', 'aria-label': title });
    return { canvas, node: el('figure', { class: 'dash-chart' }, el('figcaption', { text: title }), el('div', { class: 'dash-canvas' }, canvas)) };
  }
  // common is the charts' shared options. An axis never repeats a label
  // (small ranges round to the same text), and a chart with nothing yet
  // gets a readable range (emptyMax) instead of 0 … 1 in tenths.
  const common = (k, yfmt, data, emptyMax) => ({
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => yfmt(ctx.raw) } } },
    scales: {
      y: {
        beginAtZero: true, suggestedMax: Math.max(0, ...data) > 0 ? undefined : emptyMax,
        ticks: { color: MUTED, maxTicksLimit: 6, callback: (v) => yfmt(v) },
        afterBuildTicks: (axis) => {
          const seen = new Set();
          axis.ticks = axis.ticks.filter((t) => { const s = yfmt(t.value); if (seen.has(s)) return false; seen.add(s); return true; });
        },
      },
      x: { ticks: { color: MUTED } },
    },
  });

  function drawCharts(k, boxes) {
    charts.splice(0).forEach((c) => c.destroy());
    // Drill-down: a bar of the aging chart filters the accounts list below
    // (client face) to that bucket.
    const drill = (ev, els) => {
      const sel = document.getElementById('accounts-bucket');
      if (!sel || !els.length) return;
      sel.value = k.aging[els[0].index].bucket;
      sel.dispatchEvent(new Event('change'));
      sel.scrollIntoView({ behavior: 'smooth', block: 'center' });
    };
    const aging = k.aging.map((b) => b.amount), recovered = k.monthly.map((m) => m.recovered), rate = k.monthly.map((m) => m.rateBp);
    chart(boxes.aging.canvas, { type: 'bar', options: Object.assign(common(k, (v) => compact(k, v), aging, 100000), { onClick: drill, onHover: (ev, els) => { ev.native.target.style.cursor = els.length && document.getElementById('accounts-bucket') ? 'pointer' : 'default'; } }),
      data: { labels: k.aging.map((b) => C.t('reports.bucket.' + b.bucket)), datasets: [{ data: aging, backgroundColor: BRAND }] } });
    chart(boxes.monthly.canvas, { type: 'bar', options: common(k, (v) => compact(k, v), recovered, 100000),
      data: { labels: k.monthly.map((m) => monthLabel(m.month)), datasets: [{ data: recovered, backgroundColor: ACCENT }] } });
    chart(boxes.rate.canvas, { type: 'line', options: common(k, (v) => pct(v), rate, 1000),
      data: { labels: k.monthly.map((m) => monthLabel(m.month)), datasets: [{ data: rate, borderColor: BRAND, backgroundColor: BRAND, tension: 0 }] } });
  }

  function downloads(from, to, segment) {
    const q = '?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to) + (segment ? '&segment=' + encodeURIComponent(segment) : '');
    const link = (id, key, path) => el('a', { class: 'btn', id, href: base() + path, download: '', text: C.t(key) });
    return el('div', { class: 'dash-downloads', id: 'dash-downloads' },
      el('h3', { text: C.t('reports.dash.downloads') }),
      el('div', { class: 'dash-links' },
        link('dl-recovery', 'reports.dash.recoveryPdf', 'recovery.pdf' + q),
        link('dl-remittance-pdf', 'reports.dash.remittancePdf', 'remittance.pdf' + q),
        link('dl-remittance-csv', 'reports.dash.remittanceCsv', 'remittance.csv' + q),
        link('dl-accounts', 'reports.dash.accountsCsv', 'accounts.csv'),
        link('dl-activities', 'reports.dash.activitiesCsv', 'activities.csv' + q)));
  }

  // rollTable shows how each bucket's balance moved over the period.
  function rollTable(k) {
    const rows = (k.roll || []).filter((r) => r.start > 0);
    const head = ['reports.col.bucket', 'reports.col.rollStart', 'reports.col.rollStayed', 'reports.col.rollRolled', 'reports.col.rollResolved', 'reports.col.rollRate'];
    const body = rows.length ? rows.map((r) => el('tr', {},
      el('td', { 'data-label': C.t(head[0]), text: C.t('reports.bucket.' + r.bucket) }),
      el('td', { class: 'num', 'data-label': C.t(head[1]), text: money(k, r.start) }),
      el('td', { class: 'num', 'data-label': C.t(head[2]), text: money(k, r.stayed) }),
      el('td', { class: 'num', 'data-label': C.t(head[3]), text: money(k, r.rolled) }),
      el('td', { class: 'num', 'data-label': C.t(head[4]), text: money(k, r.resolved) }),
      el('td', { class: 'num', 'data-label': C.t(head[5]), text: pct(r.rollBp) })))
      : [el('tr', {}, el('td', { colspan: '6', class: 'muted small', text: C.t('reports.roll.none') }))];
    return el('div', { class: 'dash-roll', id: 'dash-roll' },
      el('h3', { text: C.t('reports.pdf.rollTable') }),
      el('div', { class: 'table-wrap' }, el('table', { class: 'stack' },
        el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { class: i ? 'num' : '', text: C.t(h) })))),
        el('tbody', {}, ...body))));
  }

  // archive lists the monthly sets the scheduler made, newest first.
  function archive() {
    const list = el('ul', { class: 'dash-archive-list', id: 'dash-archive-list' });
    const node = el('div', { class: 'dash-downloads', id: 'dash-archive' },
      el('h3', { text: C.t('reports.dash.monthlyTitle') }), list);
    C.api('GET', base() + 'monthly').then((r) => {
      if (!r.items.length) {
        list.replaceChildren(el('li', { class: 'muted small', text: C.t('reports.dash.monthlyNone') }));
        return;
      }
      list.replaceChildren(...r.items.map((m) => {
        const link = (kind, key) => el('a', { href: base() + 'monthly/' + m.month + '/' + kind, download: '', text: C.t(key) });
        return el('li', { 'data-month': m.month },
          el('strong', { text: monthName(m.month) }),
          el('span', { class: 'muted small', text: ' · ' + C.t('reports.kpi.recovered') + ' ' + money({ currency: m.currency }, m.recovered) + ' · ' }),
          link('recovery.pdf', 'reports.dash.recoveryPdf'), ' · ',
          link('remittance.pdf', 'reports.dash.remittancePdf'), ' · ',
          link('remittance.csv', 'reports.dash.remittanceCsv'));
      }));
    }).catch(() => list.replaceChildren(el('li', { class: 'muted small', text: C.t('reports.dash.error') })));
    return node;
  }

  // strategyTests shows the newest strategy test (champion/challenger) with
  // its figures by arm and the differences with their 95 % intervals, from
  // /strategy-tests/{id}; managers may promote or stop a running one.
  function strategyTests() {
    const node = el('div', { class: 'dash-roll', id: 'dash-tests', hidden: true });
    const tbase = '/api/tenants/' + encodeURIComponent(C.tenant) + '/strategy-tests';
    const sign = (bp) => (bp > 0 ? '+' : '') + pct(bp);
    const diff = (d) => !d.defined ? C.t('reports.test.undefined')
      : C.t('reports.test.ci', { diff: sign(d.diffBP), low: pct(d.lowBP), high: pct(d.highBP) }) + ' · ' + C.t(d.significant ? 'reports.test.significant' : 'reports.test.notSignificant');
    const days = (v) => (v === null || v === undefined ? '—' : new Intl.NumberFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { maximumFractionDigits: 1 }).format(v));
    C.api('GET', tbase).then(async (list) => {
      if (!list.items.length) return;
      const r = await C.api('GET', tbase + '/' + encodeURIComponent(list.items[0].id));
      const k = { currency: r.currency, locale: r.locale };
      const a = r.champion, b = r.challenger;
      const rows = [
        ['reports.test.accounts', int(a.accounts), int(b.accounts)],
        ['reports.test.placed', money(k, a.placed), money(k, b.placed)],
        ['reports.test.recovered', money(k, a.recovered), money(k, b.recovered)],
        ['reports.test.rate', pct(a.recoveryRate.bp), pct(b.recoveryRate.bp)],
        ['reports.test.meanRate', pct(a.meanRateBP), pct(b.meanRateBP)],
        ['reports.test.payers', int(a.payers) + ' · ' + pct(a.payerRate.bp), int(b.payers) + ' · ' + pct(b.payerRate.bp)],
        ['reports.test.days', days(a.medianDaysToPay), days(b.medianDaysToPay)],
        ['reports.test.promises', int(a.promisesMade) + ' / ' + int(a.promisesKept), int(b.promisesMade) + ' / ' + int(b.promisesKept)],
        ['reports.test.plans', int(a.plansCompleted), int(b.plansCompleted)],
        ['reports.test.contacts', days(a.contactsPerThousand), days(b.contactsPerThousand)],
        ['reports.test.disputes', int(a.disputes), int(b.disputes)],
      ];
      const head = ['reports.test.measure', 'reports.test.champion', 'reports.test.challenger'];
      const t = r.test;
      const actions = el('div', { class: 'dash-links' });
      if (face === 'manager' && t.status === 'running') {
        const act = (id, key, confirmKey, path) => el('button', { class: 'btn', type: 'button', id, text: C.t(key), onclick: async () => {
          if (!window.confirm(C.t(confirmKey))) return;
          try { await C.api('POST', tbase + '/' + encodeURIComponent(t.id) + '/' + path); C.toast(C.t('reports.test.done')); node.replaceWith(strategyTests()); } catch (e) { C.toast((e && e.data && e.data.error) || C.t('reports.dash.error')); }
        } });
        actions.append(act('test-promote', 'reports.test.promote', 'reports.test.promoteConfirm', 'promote'), act('test-stop', 'reports.test.stop', 'reports.test.stopConfirm', 'stop'));
      }
      node.replaceChildren(
        el('h3', { text: C.t('reports.test.title') }),
        el('p', { class: 'muted small', id: 'dash-test-head', text: t.name + ' · ' + C.t('reports.test.status.' + t.status) + ' · ' + C.t('reports.test.share', { pct: pct(Math.round(t.share * 10000)) }) }),
        el('div', { class: 'table-wrap' }, el('table', { class: 'stack', id: 'dash-test-table' },
          el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { class: i ? 'num' : '', text: C.t(h) })))),
          el('tbody', {}, ...rows.map((row) => el('tr', {},
            el('td', { 'data-label': C.t(head[0]), text: C.t(row[0]) }),
            el('td', { class: 'num', 'data-label': C.t(head[1]), text: row[1] }),
            el('td', { class: 'num', 'data-label': C.t(head[2]), text: row[2] })))))),
        el('p', { id: 'dash-test-recovery' }, el('strong', { text: C.t('reports.test.diffRecovery') + ': ' }), diff(r.recovery)),
        el('p', { id: 'dash-test-payers' }, el('strong', { text: C.t('reports.test.diffPayers') + ': ' }), diff(r.payers)),
        el('p', { class: 'muted small', text: C.t('reports.test.method') }),
        actions);
      node.hidden = false;
    }).catch(() => {});
    return node;
  }

  const monthName = (ym) => {
    const d = new Date(ym + '-15T12:00:00Z');
    const s = new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { month: 'long', year: 'numeric' }).format(d);
    return s.charAt(0).toUpperCase() + s.slice(1);
  };

  // section builds the dashboard and loads the current month.
  function section() {
    const segment = el('select', { id: 'dash-segment', name: 'segment' }, el('option', { value: '', text: C.t('reports.dash.allSegments') }));
    const segLabel = el('label', { hidden: true }, C.t('reports.segment'), segment);
    const from = el('input', { id: 'dash-from', type: 'date', name: 'from', required: true });
    const to = el('input', { id: 'dash-to', type: 'date', name: 'to', required: true });
    const status = el('p', { class: 'muted small', id: 'dash-status', role: 'status' });
    const body = el('div', { class: 'dash-body', id: 'dash-body' });
    const boxes = { aging: chartBox('chart-aging', C.t('reports.chart.aging')), monthly: chartBox('chart-monthly', C.t('reports.chart.monthly')), rate: chartBox('chart-rate', C.t('reports.chart.rate')) };
    const form = el('form', { class: 'dash-filter', id: 'dash-filter' },
      el('label', {}, C.t('reports.dash.from'), from), el('label', {}, C.t('reports.dash.to'), to), segLabel,
      el('button', { class: 'btn primary', type: 'submit', text: C.t('reports.dash.apply') }));
    const node = el('section', { class: 'card dashboard', id: 'dashboard', 'aria-labelledby': 'dash-title' },
      el('h2', { id: 'dash-title', text: C.t('reports.tab') }), form, status, body);

    async function load(q) {
      status.textContent = C.t('reports.dash.loading');
      node.classList.add('loading');
      try {
        const k = await C.api('GET', base() + 'summary' + (q || ''));
        from.value = k.from; to.value = k.to;
        // Segments come with the figures; the picker shows when there are any.
        if (segment.options.length === 1 && (k.segments || []).length) {
          segment.append(...k.segments.map((g) => el('option', { value: g, text: g })));
        }
        segment.value = k.segment || '';
        segLabel.hidden = !(k.segments || []).length;
        body.replaceChildren(kpis(k),
          el('div', { class: 'dash-charts' }, boxes.aging.node, boxes.monthly.node, boxes.rate.node),
          rollTable(k), strategyTests(), downloads(k.from, k.to, k.segment), archive());
        drawCharts(k, boxes);
        status.textContent = '';
        node.dataset.ready = 'true';
      } catch (e) {
        status.textContent = (e && e.data && e.data.error) || C.t('reports.dash.error');
      } finally {
        node.classList.remove('loading');
      }
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      node.dataset.ready = 'false';
      load('?from=' + encodeURIComponent(from.value) + '&to=' + encodeURIComponent(to.value) + (segment.value ? '&segment=' + encodeURIComponent(segment.value) : ''));
    });
    load('');
    return node;
  }

  C.dashboard = { section };

  // The manager face has no slot of its own: the dashboard goes under the
  // page's view once the session and tenant are known.
  if (face === 'manager') {
    const staff = C.staff;
    C.staff = (...args) => staff(...args).then((me) => {
      const main = document.getElementById('main');
      if (C.tenant && main && !document.getElementById('dashboard')) main.append(section());
      return me;
    });
  }
})();
