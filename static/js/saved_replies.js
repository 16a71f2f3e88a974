// Saved replies in the composer: a "Saved replies" button opens a search (an ARIA combobox over
// a listbox), and typing "/" and a name at the start of a line (or of the empty composer)
// opens the same matches under the editor; arrows choose, Enter or a click inserts, Esc closes.
// The server fills the tokens in for this thread and counts the use (inbox.views.saved_replies);
// the editor (static/js/editor.js) takes the HTML through its "editor:insert-html" event.
(() => {
  const picker = document.querySelector("[data-saved-reply-picker]");
  if (!picker) return;
  const root = picker.closest("[data-editor]");
  const area = root.querySelector("trix-editor");
  const form = root.closest("form");
  const toggle = picker.querySelector("[data-picker-toggle]");
  const popup = document.getElementById(toggle.getAttribute("aria-controls"));
  const search = picker.querySelector("[data-picker-search]");
  const searchList = picker.querySelector("[data-picker-options]");
  const slashList = picker.querySelector("[data-slash-options]");
  const status = picker.querySelector("[data-picker-status]");
  const errorLine = root.querySelector(".editor__error");
  const csrf = () => (form.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  picker.hidden = false;

  // The listbox in use: the search's, or the one "/" opened (slash holds its range then).
  let slash = null;
  let requestNumber = 0;

  const options = (list) => Array.from(list.querySelectorAll("[data-saved-reply-id]"));
  const activeOption = (list) => list.querySelector('[aria-selected="true"]');
  const owner = (list) => (list === searchList ? search : area);

  const fill = async (list, query) => {
    const number = ++requestNumber;
    const url = `${picker.dataset.pickerUrl}?q=${encodeURIComponent(query)}`;
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (number !== requestNumber || !response.ok) return;
    list.innerHTML = await response.text();
    const found = options(list);
    status.textContent = found.length
      ? `${found.length} saved ${found.length === 1 ? "reply" : "replies"}; use the arrow keys and Enter.`
      : "No saved reply matches.";
    select(list, found[0] || null);
  };

  const select = (list, option) => {
    options(list).forEach((item) => item.setAttribute("aria-selected", item === option ? "true" : "false"));
    const field = owner(list);
    if (option) {
      field.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      field.removeAttribute("aria-activedescendant");
    }
  };

  const move = (list, step) => {
    const found = options(list);
    if (!found.length) return;
    const index = found.indexOf(activeOption(list));
    select(list, found[(index + step + found.length) % found.length]);
  };

  const insert = async (option) => {
    if (!option) return;
    const url = picker.dataset.insertUrl.replace(/\/0\/insert\/$/, `/${option.dataset.savedReplyId}/insert/`);
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
    if (!response.ok) {
      errorLine.textContent = "That saved reply could not be inserted. Reload the page and try again.";
      return;
    }
    const data = await response.json();
    const editor = area.editor;
    if (slash) {
      // The "/name" typed goes; the saved reply takes its place.
      editor.setSelectedRange([slash.start, editor.getSelectedRange()[1]]);
      editor.deleteInDirection("backward");
    }
    closeAll();
    area.focus();
    root.dispatchEvent(new CustomEvent("editor:insert-html", { detail: { html: data.html } }));
    addAttachments(data.attachments || []);
    const missing = area.querySelectorAll("mark").length;
    status.textContent = missing
      ? `Inserted “${option.dataset.savedReplyName}”; fill in the ${missing} highlighted ${missing === 1 ? "part" : "parts"}.`
      : `Inserted “${option.dataset.savedReplyName}”.`;
  };

  // A saved reply's files go with the reply: listed under the editor, each removable.
  const addAttachments = (attachments) => {
    let list = root.querySelector("[data-saved-reply-files]");
    attachments.forEach((file) => {
      if (form.querySelector(`input[name=saved_reply_attachment][value="${file.id}"]`)) return;
      if (!list) {
        list = document.createElement("ul");
        list.className = "saved-reply-files";
        list.dataset.savedReplyFiles = "";
        list.setAttribute("aria-label", "Files from saved replies");
        picker.after(list);
      }
      const item = document.createElement("li");
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = "saved_reply_attachment";
      input.value = file.id;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button--ghost";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${file.filename}`);
      remove.addEventListener("click", () => item.remove());
      item.append(input, document.createTextNode(`${file.filename} `), remove);
      list.append(item);
    });
  };
  form.addEventListener("reset", () => {
    const list = root.querySelector("[data-saved-reply-files]");
    if (list) list.remove();
  });

  // The button's search.
  const openSearch = () => {
    closeSlash();
    popup.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    search.setAttribute("aria-expanded", "true");
    search.value = "";
    fill(searchList, "");
    search.focus();
  };
  const closeSearch = (refocus) => {
    if (popup.hidden) return;
    popup.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-expanded", "false");
    search.removeAttribute("aria-activedescendant");
    if (refocus) toggle.focus();
  };
  toggle.addEventListener("click", () => (popup.hidden ? openSearch() : closeSearch(true)));
  search.addEventListener("input", () => fill(searchList, search.value));
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(searchList, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      insert(activeOption(searchList));
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeSearch(true);
    }
  });
  popup.addEventListener("focusout", (event) => {
    if (!popup.contains(event.relatedTarget) && event.relatedTarget !== toggle) closeSearch(false);
  });

  // "/" and a name at the start of a line: the text from the line's start to the cursor.
  const slashQuery = () => {
    const editor = area.editor;
    const [start, end] = editor.getSelectedRange();
    if (start !== end) return null;
    const before = editor.getDocument().toString().slice(0, end);
    const lineStart = before.lastIndexOf("\n") + 1;
    const match = /^\/([^\s/][^\n]{0,40})?$/.exec(before.slice(lineStart));
    if (!match) return null;
    return { start: lineStart, query: match[1] || "" };
  };
  const closeSlash = () => {
    slash = null;
    slashList.hidden = true;
    area.removeAttribute("aria-controls");
    area.removeAttribute("aria-activedescendant");
  };
  const closeAll = () => {
    closeSlash();
    closeSearch(false);
  };
  area.addEventListener("trix-change", () => {
    if (!area.editor) return;
    const found = slashQuery();
    if (!found) {
      if (slash) closeSlash();
      return;
    }
    slash = found;
    slashList.hidden = false;
    area.setAttribute("aria-controls", slashList.id);
    fill(slashList, found.query);
  });
  // Capture phase: the keys that steer the open list never reach Trix.
  area.addEventListener(
    "keydown",
    (event) => {
      if (!slash || slashList.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        event.stopImmediatePropagation();
        move(slashList, event.key === "ArrowDown" ? 1 : -1);
      } else if ((event.key === "Enter" || event.key === "Tab") && activeOption(slashList)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        insert(activeOption(slashList));
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopImmediatePropagation();
        closeSlash();
      }
    },
    true,
  );
  area.addEventListener("blur", () => {
    // A click on an option comes after the blur: let it land first.
    window.setTimeout(() => {
      if (document.activeElement !== area) closeSlash();
    }, 200);
  });

  // A click (or tap) on an option of either list.
  [searchList, slashList].forEach((list) => {
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[data-saved-reply-id]");
      if (option) insert(option);
    });
  });
})();
