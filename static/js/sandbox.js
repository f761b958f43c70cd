// The sandbox checkout's one button: complete the test payment through the
// portal's recording path, then return to the statement.
(function () {
  'use strict';
  const id = document.body.dataset.payment;
  const btn = document.getElementById('sandbox-pay');
  const err = document.getElementById('sandbox-error');
  const csrf = (document.cookie.match(/(?:^|; )csrf_=([^;]*)/) || [])[1] || '';
  btn.addEventListener('click', async () => {
    btn.disabled = true; err.hidden = true;
    try {
      const r = await fetch('/api/payments/sandbox/' + encodeURIComponent(id) + '/complete', {
        method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': decodeURIComponent(csrf), 'Accept': 'application/json' },
      });
      const data = await r.json();
      if (!r.ok) throw new Error(data.error || r.statusText);
      location.href = '/debtor?paid=' + encodeURIComponent(data.paymentId);
    } catch (e) { err.textContent = e.message; err.hidden = false; btn.disabled = false; }
  });
})();
