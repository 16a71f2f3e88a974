// The inbox's small behaviour htmx cannot give: the composer's attachment limit and reset after
// sending (its editor and drafts are static/js/editor.js), and the list's scroll position across
// a live refresh.
(() => {
  // A live refresh replaces the list (its own scroll box): keep the first row in sight where it
  // was, so rows arriving on top never push away what the agent is reading. At the very top the
  // list stays at the top, where the new rows show.
  let anchor = null;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const list = event.detail.target;
    if (!list || list.id !== "thread-list") return;
    anchor = null;
    if (list.scrollTop <= 0) return;
    const rows = Array.from(list.querySelectorAll("[data-thread-id]"));
    const top = list.getBoundingClientRect().top;
    const row = rows.find((item) => item.getBoundingClientRect().bottom > top);
    if (row) anchor = { id: row.dataset.threadId, offset: row.getBoundingClientRect().top - top, scroll: list.scrollTop };
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    if (!anchor) return;
    const list = document.getElementById("thread-list");
    const saved = anchor;
    anchor = null;
    if (!list) return;
    const row = list.querySelector(`[data-thread-id="${saved.id}"]`);
    if (!row) {
      list.scrollTop = saved.scroll;
      return;
    }
    const top = list.getBoundingClientRect().top;
    list.scrollTop += row.getBoundingClientRect().top - top - saved.offset;
  });

  // Keyboard use: "Load older conversations" goes away once clicked, so focus moves to the first
  // older row; an action whose button goes away (Assign to me) leaves focus on the thread title.
  // (htmx itself keeps focus on a replaced element that has the same id.)
  let firstOlder = -1;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    firstOlder = target && target.matches && target.matches("li.load-more")
      ? document.querySelectorAll("#thread-list [data-thread-id]").length
      : -1;
  });
  // htmx re-targets afterRequest to a parent when the requesting element went away, so the
  // element is remembered per request.
  const fromActions = new WeakMap();
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.closest && elt.closest("#thread-actions")) fromActions.set(event.detail.xhr, elt);
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (firstOlder >= 0) {
      const row = document.querySelectorAll("#thread-list [data-thread-id] a")[firstOlder];
      firstOlder = -1;
      if (row) row.focus();
      return;
    }
    const from = fromActions.get(event.detail.xhr);
    const lost = !document.activeElement || document.activeElement === document.body;
    if (lost && from && !from.isConnected) {
      const title = document.getElementById("thread-title");
      if (title) title.focus();
    }
  });
})();

(() => {
  const composer = document.getElementById("composer");
  if (!composer) return;
  // The text itself is the rich editor's (static/js/editor.js): it keeps the draft, fills the
  // form's fields and empties itself when the form is reset.
  const files = composer.querySelector("input[type=file]");
  const error = () => document.getElementById("composer-error");

  const tooLarge = () => {
    const limit = Number(files.dataset.maxBytes || 0);
    const total = Array.from(files.files || []).reduce((sum, file) => sum + file.size, 0);
    return limit && total > limit;
  };
  composer.addEventListener("submit", (event) => {
    if (tooLarge()) {
      event.preventDefault();
      error().textContent = "The attachments are larger than the limit.";
    }
  });
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt !== composer) return;
    if (tooLarge()) {
      event.preventDefault();
      error().textContent = "The attachments are larger than the limit.";
    }
  });
  document.body.addEventListener("inbox-sent", () => {
    composer.reset();
  });
})();
