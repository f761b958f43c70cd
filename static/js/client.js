(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');
  async function render() {
    const t = C.tenants.find((x) => x.slug === C.tenant);
    if (!t) { view.replaceChildren(el('p', { class: 'empty', text: C.t('client.noTenant') })); return; }
    view.replaceChildren(el('section', { class: 'card', id: 'company' },
      el('h2', { text: t.name }),
      el('div', { class: 'grid three' },
        el('div', {}, el('div', { class: 'kpi-label', text: C.t('tenant.country') }), el('div', { class: 'kpi', text: t.country })),
        el('div', {}, el('div', { class: 'kpi-label', text: C.t('tenant.currency') }), el('div', { class: 'kpi', text: t.currency })),
        el('div', {}, el('div', { class: 'kpi-label', text: C.t('tenant.commission') }), el('div', { class: 'kpi', text: (t.commissionRate * 100).toFixed(2) + ' %' })))));
  }
  C.staff().then(render).catch((e) => C.toast(C.errorText(e)));
})();
