(function () {
  'use strict';
  const C = window.Cartera;
  const homes = { admin: '/manager', manager: '/manager', collector: '/collector', client: '/client' };
  document.getElementById('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = document.getElementById('login-error');
    const btn = document.getElementById('login-submit');
    err.hidden = true; btn.disabled = true;
    try {
      const res = await C.api('POST', '/api/auth/login', {
        email: document.getElementById('email').value, password: document.getElementById('password').value,
      }, { allow401: true });
      location.href = homes[res.user.role] || '/';
    } catch (e) {
      err.textContent = e.status === 401 ? C.t('login.bad') : e.status === 429 ? C.t('login.locked') : C.errorText(e);
      err.hidden = false;
    } finally { btn.disabled = false; }
  });
})();
