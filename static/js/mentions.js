// @mentions in a note: typing "@" and a few letters asks the server (htmx) for the workspace's
// agents and teams; arrows move through them, Enter or Tab chooses, Escape closes. A choice puts
// "@Name" in the text and a hidden input with its id in the form: the server stores mentions
// from those ids, never from the text. Inputs whose "@Name" was deleted are dropped on submit.
(() => {
  const TRIGGER = /(^|\s)@([^\s@]{0,30})$/;

  const setup = (field) => {
    if (field.dataset.mentionsReady) return;
    field.dataset.mentionsReady = "1";
    const input = field.querySelector("[data-mention-input]");
    const listbox = document.getElementById(input.getAttribute("aria-controls"));
    const ids = field.querySelector("[data-mention-ids]");
    const url = field.dataset.mentionUrl;
    let start = -1;
    let active = -1;
    let asked = "";

    const options = () => Array.from(listbox.querySelectorAll("[role=option][data-id]"));
    const close = () => {
      listbox.hidden = true;
      listbox.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      start = -1;
      active = -1;
      asked = "";
    };
    const highlight = (index) => {
      const all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    };
    const choose = (option) => {
      const label = option.dataset.label;
      const name = option.dataset.kind === "team" ? "mention_team" : "mention_user";
      const caret = input.selectionStart;
      const text = `@${label} `;
      input.value = input.value.slice(0, start) + text + input.value.slice(caret);
      const position = start + text.length;
      input.setSelectionRange(position, position);
      if (!ids.querySelector(`input[name=${name}][value="${option.dataset.id}"]`)) {
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = name;
        hidden.value = option.dataset.id;
        hidden.dataset.label = label;
        ids.appendChild(hidden);
      }
      close();
      input.focus();
    };

    input.addEventListener("input", () => {
      const before = input.value.slice(0, input.selectionStart);
      const found = TRIGGER.exec(before);
      if (!found) {
        close();
        return;
      }
      start = before.length - found[2].length - 1;
      if (found[2] === asked && !listbox.hidden) return;
      asked = found[2];
      htmx.ajax("GET", `${url}?q=${encodeURIComponent(found[2])}`, { target: listbox, swap: "innerHTML" });
    });
    // The old options go: nothing may point at them meanwhile.
    listbox.addEventListener("htmx:beforeSwap", () => {
      input.removeAttribute("aria-activedescendant");
      active = -1;
    });
    // The options are in place: open the list on the first one (unless "@" was typed away).
    listbox.addEventListener("htmx:afterSettle", () => {
      if (start < 0) {
        close();
        return;
      }
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(0);
    });
    input.addEventListener("keydown", (event) => {
      if (listbox.hidden) return;
      const all = options();
      if (event.key === "ArrowDown") highlight(active + 1);
      else if (event.key === "ArrowUp") highlight(active - 1);
      else if (event.key === "Escape") close();
      else if ((event.key === "Enter" || event.key === "Tab") && all[active]) choose(all[active]);
      else return;
      event.preventDefault();
      event.stopPropagation();
    });
    input.addEventListener("blur", () => window.setTimeout(() => {
      if (document.activeElement !== input) close();
    }, 150));
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option][data-id]");
      if (option) choose(option);
    });
  };

  // A mention whose "@Name" is no longer in the text is no longer a mention.
  const prune = (form) => {
    const input = form.querySelector("[data-mention-input]");
    if (!input) return;
    for (const hidden of form.querySelectorAll("[data-mention-ids] input[type=hidden]")) {
      if (!input.value.includes(`@${hidden.dataset.label}`)) hidden.remove();
    }
  };
  document.addEventListener("submit", (event) => {
    if (event.target.matches && event.target.matches("[data-note-form]")) prune(event.target);
  }, true);
  document.body.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("[data-note-form]")) return;
    prune(form);
    for (const name of ["mention_user", "mention_team"]) {
      event.detail.parameters[name] = Array.from(form.querySelectorAll(`[data-mention-ids] input[name=${name}]`)).map((hidden) => hidden.value);
    }
  });
  // After a note is saved its form starts afresh.
  document.body.addEventListener("note-saved", () => {
    const form = document.getElementById("note-composer");
    if (!form) return;
    form.reset();
    form.querySelector("[data-mention-ids]").innerHTML = "";
  });

  const scan = () => document.querySelectorAll("[data-mention-field]").forEach(setup);
  scan();
  // The edit form of a note arrives by htmx.
  document.body.addEventListener("htmx:load", scan);
})();
