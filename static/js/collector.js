(function () {
  'use strict';
  const C = window.Cartera, el = C.el;
  const view = document.getElementById('view');
  async function render() {
    view.replaceChildren(el('section', { class: 'card', id: 'queue' },
      el('h2', { text: C.t('collector.queue') }),
      el('p', { class: 'empty', text: C.t('collector.empty') })));
  }
  C.staff().then(render).catch((e) => C.toast(C.errorText(e)));
})();
