// Progressive enhancement for the staff UI (every form also works without this script).
(function () {
  'use strict';

  // A form marked data-once cannot be sent twice by a double click; the server also refuses a form id it has seen.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-once')) return;
    if (form.dataset.sent === '1') {
      event.preventDefault();
      return;
    }
    form.dataset.sent = '1';
    var buttons = form.querySelectorAll('button[type="submit"]');
    setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // The 2/3 rule, computed as the counts are typed: 3 × for ≥ 2 × eligible.
  function voteForm(form) {
    var out = form.querySelector('.vote-live');
    var num = function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      return input && input.value !== '' ? Number(input.value) : NaN;
    };
    function update() {
      var eligible = num('vote.eligible');
      var votesFor = num('vote.for');
      if (!(eligible > 0) || isNaN(votesFor)) {
        out.textContent = '';
        out.className = 'vote-live';
        return;
      }
      var need = Math.ceil((2 * eligible) / 3);
      var passes = 3 * votesFor >= 2 * eligible;
      out.textContent = out.dataset.template
        .replace('{need}', String(need))
        .replace('{eligible}', String(eligible))
        .replace('{for}', String(votesFor))
        .replace('{verdict}', passes ? out.dataset.passes : out.dataset.fails);
      out.className = 'vote-live ' + (passes ? 'passes' : 'fails');
    }
    form.addEventListener('input', update);
    update();
  }

  document.addEventListener('DOMContentLoaded', function () {
    // On a phone the menu folds away behind its button (open without script, so it is never lost).
    var menu = document.querySelector('details.menu');
    if (menu && window.matchMedia('(max-width: 899px)').matches) menu.open = false;
    document.querySelectorAll('form[data-vote]').forEach(voteForm);
    // After a refused submission, focus the first field with an error.
    var bad = document.querySelector('[aria-invalid="true"]');
    if (bad) bad.focus();
  });
})();
