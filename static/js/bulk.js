// Bulk selection on the inbox list: the row checkboxes, shift-click ranges, "Select all on this
// page", the selection kept across live refreshes of the list, the list reloaded after an action,
// and the Undo button taken away when its time is up. The form itself works without this file.
(() => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const selected = new Set();
  const boxes = () => Array.from(document.querySelectorAll("#thread-list .bulk-select"));
  const all = document.getElementById("bulk-select-all");
  const count = document.getElementById("bulk-count");
  const actions = document.getElementById("bulk-actions");
  let anchor = null; // the last checkbox clicked without shift: one end of a range

  const render = () => {
    const onPage = boxes();
    onPage.forEach((box) => {
      box.checked = selected.has(box.value);
      const row = box.closest(".thread-row");
      if (row) row.classList.toggle("thread-row--selected", box.checked);
    });
    const checked = onPage.filter((box) => box.checked).length;
    if (all) {
      all.checked = checked > 0 && checked === onPage.length;
      all.indeterminate = checked > 0 && checked < onPage.length;
      all.closest("label").hidden = onPage.length === 0;
    }
    count.textContent = checked ? `${checked} selected` : "";
    // The actions show once something is selected (without JavaScript they are always there).
    actions.hidden = checked === 0;
  };

  const set = (box, on) => {
    if (on) selected.add(box.value);
    else selected.delete(box.value);
  };

  document.addEventListener("click", (event) => {
    const box = event.target.closest && event.target.closest(".bulk-select");
    if (!box) return;
    const onPage = boxes();
    if (event.shiftKey && anchor && onPage.includes(anchor)) {
      const [from, to] = [onPage.indexOf(anchor), onPage.indexOf(box)].sort((a, b) => a - b);
      onPage.slice(from, to + 1).forEach((item) => set(item, box.checked));
    } else {
      set(box, box.checked);
      anchor = box;
    }
    render();
  });
  // Keyboard: Space on a checkbox toggles it (a click event too); this covers other changes.
  document.addEventListener("change", (event) => {
    if (event.target.classList && event.target.classList.contains("bulk-select")) {
      set(event.target, event.target.checked);
      render();
    }
  });
  if (all) {
    all.addEventListener("change", () => {
      boxes().forEach((box) => set(box, all.checked));
      render();
    });
  }

  // A live refresh replaces the rows: rows still shown keep their checkbox; rows gone leave the
  // selection, so an action never touches a conversation the agent can no longer see.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!target || !(target.id === "thread-list" || target.closest("#thread-list"))) return;
    const shown = new Set(boxes().map((box) => box.value));
    Array.from(selected).forEach((id) => {
      if (!shown.has(id)) selected.delete(id);
    });
    render();
  });

  form.addEventListener("submit", (event) => {
    const action = event.submitter && event.submitter.value;
    if (action === "spam" && !window.confirm("Mark the selected conversations as spam and block their senders?")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // After an action (or its undo) the list and the view counts are fetched again.
  const reloadList = () => {
    const poller = document.getElementById("list-poller");
    if (!poller || !window.htmx) return;
    const url = new URL(poller.getAttribute("hx-get"), window.location.href);
    url.searchParams.delete("stamp");
    window.htmx.ajax("GET", url.pathname + url.search, { target: "#thread-list", swap: "outerHTML" });
  };
  document.body.addEventListener("inbox-bulk-changed", () => {
    selected.clear();
    anchor = null;
    ["assignee", "tag", "snooze"].forEach((name) => {
      const field = form.querySelector(`select[name=${name}]`);
      if (field) field.value = "";
    });
    reloadList();
    render();
  });

  let undoTimer = null;
  document.body.addEventListener("htmx:afterSettle", () => {
    const status = document.getElementById("bulk-status");
    if (!status || !status.dataset.undoSeconds || status.dataset.timed) return;
    status.dataset.timed = "1";
    clearTimeout(undoTimer);
    undoTimer = setTimeout(() => {
      const undo = status.querySelector("[data-bulk-undo]");
      if (undo && undo.isConnected) {
        undo.remove();
        const note = document.createElement("span");
        note.className = "muted";
        note.textContent = "(undo is no longer available)";
        status.appendChild(note);
      }
    }, Number(status.dataset.undoSeconds) * 1000);
  });

  render();
})();
