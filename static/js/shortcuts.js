// Keyboard shortcuts of the inbox and thread pages ("?" lists them). Never while typing in a
// field, never with Ctrl, Alt or Cmd held. Each one clicks or focuses a control that is on the
// page anyway, so a shortcut does exactly what that control does. ("n", the note tab, belongs to
// static/js/composer_modes.js.)
(() => {
  const byId = (id) => document.getElementById(id);
  const isTyping = (target) => {
    if (!target || target === document.body) return false;
    if (target.isContentEditable) return true;
    return Boolean(target.closest("input, textarea, select, [contenteditable], [role=textbox], [role=combobox]"));
  };
  const onThreadPage = () => Boolean(document.querySelector(".thread-view"));
  const rows = () => Array.from(document.querySelectorAll("#thread-list .thread-row[data-thread-id]"));
  const cursorRow = () => document.querySelector("#thread-list .thread-row--cursor")
    || document.querySelector("#thread-list .thread-row--current");

  // A live refresh replaces the rows: the cursor stays on the same conversation.
  let cursorId = null;
  document.body.addEventListener("htmx:afterSettle", () => {
    if (!cursorId || document.querySelector("#thread-list .thread-row--cursor")) return;
    const row = document.querySelector(`#thread-list .thread-row[data-thread-id="${cursorId}"]`);
    if (row) row.classList.add("thread-row--cursor");
  });

  const moveCursor = (step) => {
    const all = rows();
    if (!all.length) return;
    const index = all.indexOf(cursorRow());
    const next = all[Math.min(Math.max(index < 0 ? (step > 0 ? 0 : all.length - 1) : index + step, 0), all.length - 1)];
    if (onThreadPage()) {
      // Beside an open thread, j and k open the next or previous one.
      const link = next.querySelector(".thread-row__link");
      if (next !== cursorRow() && link) window.location.assign(link.href);
      return;
    }
    all.forEach((row) => row.classList.toggle("thread-row--cursor", row === next));
    cursorId = next.dataset.threadId;
    const link = next.querySelector(".thread-row__link");
    if (link) link.focus();
    next.scrollIntoView({ block: "nearest" });
  };

  const open = () => {
    const row = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("#thread-list .thread-row") || cursorRow()
      : cursorRow();
    const link = row && row.querySelector(".thread-row__link");
    if (link) window.location.assign(link.href);
  };

  // In the list the actions apply to the selected rows; with none selected, to the cursor row.
  const selection = () => {
    const checked = document.querySelectorAll("#thread-list .bulk-select:checked");
    if (checked.length) return true;
    const row = cursorRow();
    const box = row && row.querySelector(".bulk-select");
    if (!box) return false;
    box.click();
    return true;
  };
  const bulk = (buttonId, fieldId, value) => {
    if (!selection()) return;
    const field = fieldId && byId(fieldId);
    if (field && value === undefined) {
      // The toolbar shows its actions once the selection is rendered.
      window.setTimeout(() => field.focus(), 0);
      return;
    }
    if (field) field.value = value;
    // A click, not requestSubmit(): htmx learns which button submitted from the click.
    const button = byId(buttonId);
    if (button) button.click();
  };

  const reply = () => {
    const tab = byId("composer-tab-reply");
    if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
    const composer = byId("composer");
    const candidates = composer
      ? Array.from(composer.querySelectorAll("trix-editor, [contenteditable]:not([contenteditable=false]), textarea[name=body]"))
      : [];
    const field = candidates.find((item) => !item.hidden && item.offsetParent !== null);
    if (field) {
      field.focus();
      field.scrollIntoView({ block: "nearest" });
    }
  };

  const closeThread = () => {
    const button = byId("thread-status-button");
    const status = button && button.form && button.form.querySelector("input[name=status]");
    if (status && status.value === "closed") button.click();
  };

  const snooze = () => {
    const button = byId("snooze-button");
    if (!button) return;
    const menu = button.closest("details");
    if (menu && !menu.open) button.click();
    const first = menu && menu.querySelector("button:not([disabled]), input, a[href]");
    (first || button).focus();
  };

  const help = () => {
    const dialog = byId("shortcuts-help");
    if (dialog && !dialog.open) {
      dialog.showModal();
      byId("shortcuts-help-close").focus();
    }
  };

  const threadActions = {
    a: () => byId("assign-me") && byId("assign-me").click(),
    e: closeThread,
    r: reply,
    s: snooze,
    "#": () => {
      const field = byId("tag-input");
      if (field) {
        field.focus();
        field.scrollIntoView({ block: "nearest" });
      }
    },
  };
  const listActions = {
    a: () => bulk("bulk-assign", "bulk-assignee", "me"),
    e: () => bulk("bulk-close"),
    s: () => bulk("bulk-snooze-button", "bulk-snooze"),
    "#": () => bulk("bulk-tag-button", "bulk-tag"),
    x: () => {
      const box = cursorRow() && cursorRow().querySelector(".bulk-select");
      if (box) box.click();
    },
  };
  const everywhere = {
    j: () => moveCursor(1),
    k: () => moveCursor(-1),
    o: open,
    "/": () => {
      const search = byId("inbox-search");
      if (search) {
        search.focus();
        search.select();
      }
    },
    "?": help,
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.defaultPrevented || isTyping(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    let action = everywhere[event.key]
      || (onThreadPage() ? threadActions[event.key] : listActions[event.key]);
    // Enter opens the row the cursor is on, when focus is not on a control of its own.
    if (!action && event.key === "Enter" && !onThreadPage()
        && (event.target === document.body || event.target.classList.contains("thread-row"))) {
      action = open;
    }
    if (!action) return;
    event.preventDefault();
    action();
  });
})();
