(function () {
  'use strict';
  const C = window.Cartera;
  C.ready.then(() => {
    document.getElementById('debtor-login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const err = document.getElementById('d-error');
      err.hidden = true;
      try {
        await C.api('POST', '/api/debtor/login', {
          tenant: document.getElementById('d-tenant').value.trim(),
          document: document.getElementById('d-document').value.trim(),
          code: document.getElementById('d-code').value.trim(),
        }, { allow401: true });
        location.reload();
      } catch (e) {
        err.textContent = e.status === 401 ? C.t('debtor.bad') : e.status === 429 ? C.t('login.locked') : C.errorText(e);
        err.hidden = false;
      }
    });
  });
})();
