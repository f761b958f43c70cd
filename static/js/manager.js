(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');

  function tenantCard() {
    const list = el('tbody', {}, C.tenants.map((t) => el('tr', {},
      el('td', {}, el('strong', { text: t.name }), el('div', { class: 'muted small', text: t.slug })),
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

  async function render() {
    view.replaceChildren(tenantCard(), await usersCard());
  }
  C.staff().then(render).catch((e) => C.toast(C.errorText(e)));
})();
