// The thread's Snooze menu (templates/inbox/partials/snooze_menu.html), a <details> disclosure:
// opening it moves the focus to the first choice (or to the field a refusal is about), Escape
// closes it and gives the focus back to its button, and a click elsewhere closes it. Delegated
// on the document, so the header that htmx swaps in after an action needs nothing of its own.
(function () {
  "use strict";

  function openMenus() {
    return document.querySelectorAll("details[data-snooze-menu][open]");
  }

  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!(menu instanceof HTMLDetailsElement) || !menu.hasAttribute("data-snooze-menu")) return;
    if (menu.open) {
      // Back from the server with an error: the field it is about, else the first choice.
      var target = menu.querySelector("[aria-invalid=true]") || menu.querySelector("[data-snooze-choice]");
      if (target) target.focus();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
})();
