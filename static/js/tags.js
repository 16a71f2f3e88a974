// The tag typeahead of a thread's side panel: htmx fetches the options (#tag-suggestions) as the
// agent types; this file makes them a keyboard-usable listbox (arrows move, Enter picks, Escape
// closes) and posts the pick. Without JavaScript the form posts the typed name.
(() => {
  const input = () => document.getElementById("tag-input");
  const list = () => document.getElementById("tag-suggestions");
  const options = () => Array.from(list()?.querySelectorAll("[role=option]") || []);

  const setOpen = (open) => {
    const field = input();
    const box = list();
    if (!field || !box) return;
    box.hidden = !open || options().length === 0;
    field.setAttribute("aria-expanded", String(!box.hidden));
    if (box.hidden) field.removeAttribute("aria-activedescendant");
  };

  const activate = (option) => {
    options().forEach((item) => item.setAttribute("aria-selected", String(item === option)));
    if (option) {
      input().setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  };

  const pick = (option) => {
    const form = document.getElementById("tag-add-form");
    if (!form || !option) return;
    form.querySelector("input[name=tag]").value = option.dataset.tagId || "";
    input().value = option.dataset.tagName || "";
    setOpen(false);
    form.requestSubmit();
  };

  // The options are swapped in by outerHTML: recognise them by the element that asked for them.
  // A late answer (typing is faster than the server) keeps the option the arrows chose.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const config = event.detail.requestConfig;
    if (config && config.elt && config.elt.id === "tag-input") {
      const chosen = input()?.getAttribute("aria-activedescendant");
      setOpen(document.activeElement === input());
      const kept = chosen && options().find((item) => item.id === chosen);
      activate(kept || options()[0] || null);
    }
    // A tag added or removed re-renders the panel: the keyboard stays in the tag field, ready
    // for the next one (htmx has wired the new field by now).
    if (config && config.elt && config.elt.closest && config.elt.closest("#tag-panel, #tag-add-form")) {
      input()?.focus();
    }
  });

  document.addEventListener("keydown", (event) => {
    const field = input();
    if (!field || event.target !== field) return;
    const items = options();
    const current = items.findIndex((item) => item.getAttribute("aria-selected") === "true");
    const open = !list().hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!items.length) return;
      event.preventDefault();
      if (!open) setOpen(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      activate(items[(current + step + items.length) % items.length]);
    } else if (event.key === "Enter") {
      if (open && current >= 0) {
        event.preventDefault();
        pick(items[current]);
      }
    } else if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        event.stopPropagation();
        setOpen(false);
      } else {
        field.blur();
      }
    }
  });

  document.addEventListener("click", (event) => {
    const option = event.target.closest && event.target.closest("#tag-suggestions [role=option]");
    if (option) {
      pick(option);
      return;
    }
    if (!event.target.closest || !event.target.closest("#tag-add-form")) setOpen(false);
  });

  // Typing a name by hand after picking clears the picked id, so the typed name is what is added.
  document.addEventListener("input", (event) => {
    if (event.target === input()) {
      const form = document.getElementById("tag-add-form");
      if (form) form.querySelector("input[name=tag]").value = "";
    }
  });
})();
