// The connect wizard's small behaviour htmx cannot give: modal dialogs with focus moved in and
// back out, and the signature editor's toolbar. Without JavaScript every step still works: the
// dialogs open through the server (?dialog= or a submit button) and the signature is a textarea.
(function () {
  "use strict";

  const openers = new WeakMap();

  function focusFirst(dialog) {
    const target =
      dialog.querySelector("[aria-invalid='true']") ||
      dialog.querySelector("input:not([type=hidden]), select, textarea, button");
    if (target) target.focus();
  }

  function openDialog(dialog, opener) {
    if (opener) openers.set(dialog, opener);
    const address = document.getElementById("id_custom_from_address");
    dialog.querySelectorAll("[data-verify-address]").forEach((node) => {
      if (address && address.value) node.textContent = address.value;
    });
    if (dialog.open) dialog.close();
    dialog.showModal();
    focusFirst(dialog);
  }

  // Cancel means "as before": fields inside the dialog go back to their rendered values.
  function resetFields(dialog) {
    dialog.querySelectorAll("input, select, textarea").forEach((field) => {
      if (field instanceof HTMLSelectElement) {
        [...field.options].forEach((option) => (option.selected = option.defaultSelected));
      } else if (field.type === "checkbox" || field.type === "radio") {
        field.checked = field.defaultChecked;
      } else if (field.type !== "hidden") {
        field.value = field.defaultValue;
      }
    });
  }

  function closeDialog(dialog) {
    resetFields(dialog);
    dialog.close();
  }

  document.addEventListener(
    "cancel",
    (event) => {
      if (event.target instanceof HTMLDialogElement) resetFields(event.target);
    },
    true
  );

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      const dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
      if (dialog) {
        event.preventDefault();
        openDialog(dialog, opener);
      }
      return;
    }
    const closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      const dialog = closer.closest("dialog");
      if (dialog) {
        event.preventDefault();
        closeDialog(dialog);
      }
    }
  });

  // Focus goes back to what opened the dialog (or the step heading if it was re-rendered).
  document.addEventListener(
    "close",
    (event) => {
      const dialog = event.target;
      if (!(dialog instanceof HTMLDialogElement)) return;
      const opener = openers.get(dialog);
      if (opener && opener.isConnected) opener.focus();
    },
    true
  );

  // A dialog the server rendered open (a validation error, or ?dialog=) becomes modal.
  function promoteOpenDialogs(root) {
    root.querySelectorAll("dialog[data-modal][open]").forEach((dialog) => {
      dialog.close();
      const opener = document.querySelector(`[data-dialog-open="${dialog.id}"]`);
      openDialog(dialog, opener);
    });
  }

  // --- Signature editor ---------------------------------------------------------------------
  function initSignatureEditor(root) {
    root.querySelectorAll("[data-signature-editor]").forEach((editor) => {
      if (editor.dataset.ready) return;
      editor.dataset.ready = "1";
      const field = editor.parentElement.querySelector("textarea[name=signature_html]");
      const area = editor.querySelector("[data-signature-area]");
      if (!field || !area) return;
      area.innerHTML = field.value;
      field.hidden = true;
      editor.hidden = false;
      let savedRange = null;

      const sync = () => {
        field.value = area.innerHTML;
      };
      area.addEventListener("input", sync);
      const saveRange = () => {
        const selection = document.getSelection();
        if (selection && selection.rangeCount && area.contains(selection.anchorNode)) {
          savedRange = selection.getRangeAt(0).cloneRange();
        }
      };
      // selectionchange arrives late after fast typing; input and key events keep the caret
      // position current, so a token goes exactly where the caret was.
      document.addEventListener("selectionchange", saveRange);
      ["input", "keyup", "mouseup"].forEach((name) => area.addEventListener(name, saveRange));
      const restore = () => {
        area.focus();
        if (savedRange) {
          const selection = document.getSelection();
          selection.removeAllRanges();
          selection.addRange(savedRange);
        }
      };
      const changed = () => {
        sync();
        area.dispatchEvent(new Event("input", { bubbles: true }));
      };

      editor.querySelectorAll("[data-command]").forEach((button) => {
        button.addEventListener("mousedown", (event) => event.preventDefault());
        button.addEventListener("click", () => {
          const command = button.getAttribute("data-command");
          let value = null;
          if (command === "createLink") {
            value = window.prompt("Link address (https://…)", "https://");
            if (!value) return;
          } else if (command === "insertImage") {
            value = window.prompt("Image address (https://…)", "https://");
            if (!value) return;
          }
          restore();
          document.execCommand(command, false, value);
          changed();
        });
      });
      const tokenMenu = editor.querySelector("[data-insert-token]");
      if (tokenMenu) {
        tokenMenu.addEventListener("change", () => {
          const marker = tokenMenu.value;
          if (!marker) return;
          restore();
          document.execCommand("insertText", false, marker);
          tokenMenu.value = "";
          changed();
        });
      }
    });
  }

  function init(root) {
    initSignatureEditor(root);
    promoteOpenDialogs(root);
    // Which step is on screen and wired up (browser tests wait for this after a swap).
    const wizard = document.getElementById("wizard");
    document.documentElement.dataset.wizardStep = wizard ? wizard.dataset.step : "";
  }

  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!target) return;
    const root = target.isConnected ? target : document;
    init(root);
    // A new step was swapped in: move focus to its heading so keyboard users start at the top.
    if (target.id === "wizard" || (root.id === "wizard")) {
      const wizard = document.getElementById("wizard");
      const invalid = wizard && wizard.querySelector("[aria-invalid='true']");
      const dialogOpen = wizard && wizard.querySelector("dialog[open]");
      if (invalid && !dialogOpen) invalid.focus();
      else if (!dialogOpen && !wizard.contains(document.activeElement)) {
        const heading = wizard && wizard.querySelector("[data-step-heading]");
        if (heading) heading.focus();
      }
    }
  });
})();
