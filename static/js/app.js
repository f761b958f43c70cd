// Cartera shared page code: translations, API calls with CSRF, session, formatting.
(function () {
  'use strict';
  const C = (window.Cartera = {});
  const cookie = (name) => {
    const m = document.cookie.match(new RegExp('(?:^|; )' + name.replace(/[$()*+./?[\\\]^{|}-]/g, '\\$&') + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : '';
  };
  // Spanish first; English only when the person chose it.
  // The person's choice (cookie) wins; else the page's default (a tenant's
  // debtor link carries the tenant's language); else Spanish.
  C.lang = (cookie('lang') || document.body.dataset.defaultLang) === 'en' ? 'en' : 'es';
  C.langChosen = !!cookie('lang');
  let catalog = {};
  C.t = (key, vars) => {
    let s = catalog[key] || key;
    if (vars) for (const k of Object.keys(vars)) s = s.replace('{' + k + '}', vars[k]);
    return s;
  };
  // el builds DOM nodes; text always goes through textContent, never innerHTML.
  C.el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid.nodeType ? kid : String(kid));
    return e;
  };
  C.applyI18n = (root) => {
    (root || document).querySelectorAll('[data-i18n]').forEach((n) => { n.textContent = C.t(n.dataset.i18n); });
    document.querySelectorAll('[data-lang-switch]').forEach((b) => {
      b.textContent = C.lang === 'es' ? 'English' : 'Español';
      b.onclick = () => { document.cookie = 'lang=' + (C.lang === 'es' ? 'en' : 'es') + '; path=/; SameSite=Strict'; location.reload(); };
    });
    document.documentElement.lang = C.lang;
  };
  C.ready = fetch('/i18n/' + C.lang + '.json').then((r) => r.json()).then((c) => { catalog = c; C.applyI18n(); });

  C.api = async (method, path, body, opts) => {
    const headers = { 'Accept': 'application/json' };
    const init = { method, headers, credentials: 'same-origin' };
    if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = cookie('csrf_');
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const r = await fetch(path, init);
    if (r.status === 401 && !(opts && opts.allow401)) { C.toLogin(); throw new Error(C.t('error.unauthorized')); }
    if (r.status === 204) return null;
    const ct = r.headers.get('Content-Type') || '';
    const data = ct.includes('json') ? await r.json() : await r.text();
    if (!r.ok) {
      const err = new Error((data && data.error) || r.statusText);
      err.status = r.status; err.data = data;
      throw err;
    }
    return data;
  };
  C.toLogin = () => { location.href = document.body.dataset.face === 'debtor' ? '/debtor' : '/'; };
  C.toast = (msg) => {
    const t = document.getElementById('toast');
    if (!t) return;
    t.textContent = msg; t.hidden = false;
    clearTimeout(C._toast); C._toast = setTimeout(() => { t.hidden = true; }, 4000);
  };
  C.errorText = (e) => {
    // Field names are the API's (evidence, channels.call); the catalogue's
    // input.* names them for people, the last path segment as a fallback.
    const name = (k) => catalog['input.' + k] || catalog['input.' + k.split('.')[0]] || k;
    if (e && e.data && e.data.fields) return e.message + '. ' + Object.entries(e.data.fields).map(([k, v]) => name(k) + ': ' + v).join('; ');
    return (e && e.message) || String(e);
  };
  // toMinor reads an amount as people type it in a locale (es-CO
  // 1.234.567,89; en-US 1,234,567.89; default: the page's language) and
  // returns integer minor units, or NaN: the one parser of typed money.
  C.toMinor = (text, locale) => {
    let s = String(text || '').replace(/[^\d.,]/g, '');
    if (!s) return NaN;
    const en = /^en/.test(locale || C.lang);
    const dec = en ? '.' : ',', thou = en ? ',' : '.';
    s = s.split(thou).join('');
    const [units, cents = ''] = s.split(dec);
    if (!/^\d+$/.test(units) || !/^\d{0,2}$/.test(cents)) return NaN;
    return Number(units) * 100 + Number((cents + '00').slice(0, 2));
  };
  // Money arrives as integer minor units with its currency (API.md).
  C.money = (minor, currency, locale) => {
    const loc = locale || (C.lang === 'en' ? 'en-US' : 'es-CO');
    return new Intl.NumberFormat(loc, { style: 'currency', currency: currency || 'COP', minimumFractionDigits: 2 }).format((minor || 0) / 100);
  };
  C.date = (iso) => {
    if (!iso) return '';
    const d = new Date(iso.length === 10 ? iso + 'T12:00:00Z' : iso);
    return new Intl.DateTimeFormat(C.lang === 'en' ? 'en-US' : 'es-CO', { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
  };
  // staff boots a staff face: who am I, which tenants, logout.
  C.staff = async () => {
    await C.ready;
    const me = await C.api('GET', '/api/me');
    C.me = me;
    const em = document.getElementById('user-email');
    if (em) em.textContent = me.email;
    document.getElementById('logout').onclick = async () => { try { await C.api('POST', '/api/auth/logout'); } finally { location.href = '/'; } };
    const res = await C.api('GET', '/api/tenants');
    C.tenants = res.items;
    const sel = document.getElementById('tenant-select');
    const saved = localStorage.getItem('tenant');
    C.tenant = (C.tenants.find((t) => t.slug === saved) || C.tenants[0] || {}).slug || '';
    // A person of one company reads its language until they choose one
    // (the server answers the same way: portal/web lang).
    const only = C.tenants.length === 1 ? C.tenants[0] : null;
    if (!C.langChosen && only && only.locale && (only.locale.startsWith('en') ? 'en' : 'es') !== C.lang) {
      document.cookie = 'lang=' + (only.locale.startsWith('en') ? 'en' : 'es') + '; path=/; SameSite=Strict';
      location.reload();
      return me;
    }
    if (sel && C.tenants.length > 1) {
      sel.hidden = false; sel.replaceChildren(...C.tenants.map((t) => C.el('option', { value: t.slug, text: t.name, selected: t.slug === C.tenant })));
      sel.onchange = () => { localStorage.setItem('tenant', sel.value); location.reload(); };
    }
    document.getElementById('welcome').textContent = C.t('home.welcome', { name: me.name || me.email });
    return me;
  };
})();
