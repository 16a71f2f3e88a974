// The thread's composer has two modes, Reply and Note: a tab bar over the two forms and the
// `n` key (never while typing in a field). Without JavaScript both forms are simply shown.
(() => {
  const bar = document.querySelector("[data-composer-tabs]");
  const note = document.getElementById("note-composer");
  if (!bar || !note) return;
  const reply = document.getElementById("composer");
  const tabs = Array.from(bar.querySelectorAll("[role=tab]"));
  const panels = { reply, note };
  // A thread without a contact has no reply form: the note form is all there is.
  if (!reply) return;
  bar.hidden = false;
  for (const tab of tabs) {
    const panel = panels[tab.dataset.mode];
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
  }

  const show = (mode, { focus = false } = {}) => {
    for (const tab of tabs) {
      const selected = tab.dataset.mode === mode;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      panels[tab.dataset.mode].hidden = !selected;
      if (selected && focus === "tab") tab.focus();
    }
    note.closest(".thread-view")?.setAttribute("data-composer-mode", mode);
    if (focus === "field") {
      const field = mode === "note"
        ? note.querySelector("textarea[name=body]")
        : reply.querySelector("[contenteditable=true]:not([hidden]), textarea[name=body]:not([hidden])");
      if (field) field.focus();
    }
  };
  show("reply");

  bar.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) show(tab.dataset.mode, { focus: "field" });
  });
  // The tablist pattern: arrows move between the two tabs, Home and End to the ends.
  bar.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    let next = null;
    if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    if (!next) return;
    event.preventDefault();
    show(next.dataset.mode, { focus: "tab" });
  });

  const isTyping = (target) => {
    if (!target || target === document.body) return false;
    if (target.isContentEditable) return true;
    return Boolean(target.closest("input, textarea, select, [contenteditable], [role=textbox], [role=combobox]"));
  };
  document.addEventListener("keydown", (event) => {
    if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    if (event.defaultPrevented || event.isComposing || isTyping(event.target)) return;
    event.preventDefault();
    show("note", { focus: "field" });
  });
})();
