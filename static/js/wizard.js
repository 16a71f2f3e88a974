// The connect wizard's small behaviour htmx cannot give: modal dialogs with focus moved in and
// back out, and the signature editor's toolbar with its Link and Image dialogs (an image is
// uploaded with fetch). Without JavaScript every step still works: the dialogs open through the
// server (?dialog= or a submit button), the signature is a textarea and an image is uploaded by
// step 1's own form (Upload image).
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
  function escapeHTML(value) {
    return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  // The error sits under its field, which points at it (aria-describedby) and is marked invalid.
  function showFieldError(field, message) {
    const error = document.getElementById(`${field.id}-error`);
    if (!error) return;
    error.textContent = message;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(error.id)) described.push(error.id);
    field.setAttribute("aria-describedby", described.join(" "));
    field.focus();
  }

  function clearFieldErrors(dialog) {
    dialog.querySelectorAll("[aria-invalid='true']").forEach((field) => {
      field.removeAttribute("aria-invalid");
      const error = document.getElementById(`${field.id}-error`);
      if (error) error.hidden = true;
    });
  }

  // What a link may open: a web page or a new email. A bare domain gets https://, a bare
  // address mailto:; any other scheme (javascript:, data:, file:...) is refused.
  function linkAddress(value) {
    let address = value.trim();
    if (!address) return { error: "Enter the address the link opens." };
    if (/^[^\s:/?#@]+@[^\s@/]+\.[^\s@/]+$/.test(address)) address = `mailto:${address}`;
    else if (!/^[a-z][a-z0-9+.-]*:/i.test(address)) address = `https://${address}`;
    let url;
    try {
      url = new URL(address);
    } catch (error) {
      return { error: "Enter a full address, like https://www.example.com." };
    }
    if (!["http:", "https:", "mailto:"].includes(url.protocol)) {
      return { error: "A link may open a web page (http:// or https://) or an email (mailto:) only." };
    }
    if (url.protocol === "mailto:" ? !url.pathname.includes("@") : !url.hostname.includes(".")) {
      return { error: "Enter a full address, like https://www.example.com or mailto:help@example.com." };
    }
    return { address: url.protocol === "mailto:" ? address : url.href };
  }

  function wireLinkDialog(dialog, insertHTML, linkSelection) {
    if (!dialog || dialog.dataset.ready) return;
    dialog.dataset.ready = "1";
    const form = dialog.querySelector("form");
    const urlField = dialog.querySelector("#link-url");
    const textField = dialog.querySelector("#link-text");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearFieldErrors(dialog);
      const result = linkAddress(urlField.value);
      if (result.error) {
        showFieldError(urlField, result.error);
        return;
      }
      const selected = dialog.dataset.selection || "";
      const text = textField.value.trim();
      form.reset();
      dialog.close();
      // The selected text as it is (bold, underlined...) becomes the link; other text is new.
      if (selected && (!text || text === selected.trim())) linkSelection(result.address);
      else {
        const shown = text || result.address.replace(/^mailto:/, "");
        insertHTML(`<a href="${escapeHTML(result.address)}">${escapeHTML(shown)}</a>`);
      }
    });
  }

  function wireImageDialog(dialog, insertHTML) {
    if (!dialog || dialog.dataset.ready) return;
    dialog.dataset.ready = "1";
    const form = dialog.querySelector("form");
    const fileField = dialog.querySelector("#image-file");
    const altField = dialog.querySelector("#image-alt");
    const status = dialog.querySelector("[data-image-status]");
    const submit = form.querySelector("button[type=submit]");
    const maxBytes = Number(form.dataset.maxBytes);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFieldErrors(dialog);
      const file = fileField.files[0];
      if (!file) return showFieldError(fileField, "Choose an image file.");
      // The server checks again, by the file's bytes; this only saves a pointless upload.
      if (file.size > maxBytes) return showFieldError(fileField, "The image is too large: at most 1024 KB.");
      submit.disabled = true;
      status.textContent = "Uploading…";
      let answer = null;
      try {
        const response = await fetch(form.dataset.uploadUrl, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        answer = await response.json().catch(() => ({}));
        if (!response.ok) answer = { error: answer.error || "The upload failed. Try again." };
      } catch (error) {
        answer = { error: "The upload failed: check your connection and try again." };
      } finally {
        submit.disabled = false;
        status.textContent = "";
      }
      if (answer.error) return showFieldError(fileField, answer.error);
      const alt = altField.value.trim();
      form.reset();
      dialog.close();
      insertHTML(`<img src="${escapeHTML(answer.src)}" alt="${escapeHTML(alt)}">`);
    });
  }

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
        const selection = document.getSelection();
        if (!savedRange) {
          // Never clicked into yet: insert at the end, not before what is there.
          savedRange = document.createRange();
          savedRange.selectNodeContents(area);
          savedRange.collapse(false);
        }
        selection.removeAllRanges();
        selection.addRange(savedRange);
      };
      const changed = () => {
        sync();
        area.dispatchEvent(new Event("input", { bubbles: true }));
      };

      editor.querySelectorAll("[data-command]").forEach((button) => {
        button.addEventListener("mousedown", (event) => event.preventDefault());
        button.addEventListener("click", () => {
          restore();
          document.execCommand(button.getAttribute("data-command"), false, null);
          changed();
        });
      });
      const fallback = editor.parentElement.querySelector("[data-signature-fallback]");
      if (fallback) fallback.hidden = true;
      const insertHTML = (markup) => {
        restore();
        document.execCommand("insertHTML", false, markup);
        changed();
      };
      // Link and Image open a dialog; focus comes back to the editor, caret where it was.
      editor.querySelectorAll("[data-signature-dialog]").forEach((button) => {
        const dialog = document.getElementById(button.getAttribute("data-signature-dialog"));
        if (!dialog) return;
        button.addEventListener("mousedown", (event) => event.preventDefault());
        button.addEventListener("click", () => {
          saveRange();
          const selected = savedRange ? savedRange.toString() : "";
          dialog.dataset.selection = selected;
          const text = dialog.querySelector("#link-text");
          if (text) text.value = selected;
          openDialog(dialog, area);
        });
        dialog.addEventListener("close", () => {
          clearFieldErrors(dialog);
          restore();
        });
      });
      wireLinkDialog(document.getElementById("link-dialog"), insertHTML, (address) => {
        restore();
        document.execCommand("createLink", false, address);
        changed();
      });
      wireImageDialog(document.getElementById("image-dialog"), insertHTML);
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

  // A field's server error ("already uses the from name") goes away as soon as the admin edits
  // the field: it described the value that was posted, not the one being typed.
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLElement) || field.getAttribute("aria-invalid") !== "true") return;
    if (field.closest("dialog")) return; // dialogs clear their own errors
    field.removeAttribute("aria-invalid");
    const error = document.getElementById(`${field.id}-error`);
    if (error) error.hidden = true;
  });

  document.addEventListener("DOMContentLoaded", () => init(document));
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!target) return;
    const root = target.isConnected ? target : document;
    init(root);
    // A new step was swapped in: move focus to its heading so keyboard users start at the top.
    if (target.id === "wizard" || (root.id === "wizard")) {
      // Counted once the new content is wired up (htmx does that while settling): browser tests
      // wait for it before touching a control that a swap replaced.
      const html = document.documentElement;
      html.dataset.wizardSwaps = String(Number(html.dataset.wizardSwaps || 0) + 1);
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
