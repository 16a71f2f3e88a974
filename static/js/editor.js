// The rich-text editor of the composer and of the saved replies' form: Trix (package.json,
// served from static/vendor/trix), over a plain textarea that works without JavaScript.
// Each [data-editor] holds a <trix-toolbar>, a <trix-editor> and the hidden input Trix writes
// its HTML to; the form also gets the plain text (the textarea) for the text part.
// Pasted and dropped images go in as data: URLs; the server turns them into inline (cid:) parts.
// Other scripts talk to an editor through events on its [data-editor] element:
//   "editor:set-html" (detail.html) replaces the content, "editor:insert-html" inserts at the
//   cursor; the editor fires "editor:ready" once Trix has started.
(() => {
  if (!window.Trix) return;
  // A token of a saved reply that has no value here arrives as <mark class="token-missing">:
  // kept (highlighted) in the editor, and a reply that still has one is not sent.
  window.Trix.config.textAttributes.missing = { tagName: "mark", inheritable: false };
  // Trix previews a new image from a blob: URL, which our img-src does not allow; here no file
  // is previewable by its type, and an image becomes one once its data: URL is read (below).
  window.Trix.Attachment.previewablePattern = /(?!)/;
  // Images travel inside the form's text (base64), which the server takes up to 2.5 MB.
  const MAX_IMAGE_BYTES = 1.5 * 1024 * 1024;
  // What is sent: the editor's HTML without its own bookkeeping (each image's data again in a
  // JSON attribute, the caption with its file name and size).
  const sendableHtml = (value) => {
    const template = document.createElement("template");
    template.innerHTML = value;
    template.content.querySelectorAll("[data-trix-attachment]").forEach((element) => {
      element.removeAttribute("data-trix-attachment");
      element.removeAttribute("data-trix-attributes");
    });
    template.content.querySelectorAll("figcaption").forEach((element) => element.remove());
    return template.innerHTML;
  };

  const setup = (root) => {
    const area = root.querySelector("trix-editor");
    const toolbar = root.querySelector("trix-toolbar");
    const form = root.closest("form");
    const textarea = root.querySelector("textarea[data-editor-text]");
    const errorLine = root.querySelector(".editor__error");
    const quoteButton = root.querySelector("[data-editor-quote]");
    const quoteTemplate = root.querySelector("template[data-editor-quote-html]");
    const draftKey = root.dataset.draftKey || (form && form.dataset.draftKey) || "";
    const say = (text) => {
      if (errorLine) errorLine.textContent = text;
    };

    // Without JavaScript the textarea is the field; with it, the editor is.
    toolbar.hidden = false;
    area.hidden = false;
    if (textarea) {
      textarea.hidden = true;
      const label = root.querySelector(`label[for="${textarea.id}"]`);
      if (label) label.hidden = true;
      textarea.removeAttribute("id");
    }
    const text = () => (area.editor ? area.editor.getDocument().toString().trim() : "");
    const sync = () => {
      if (textarea) textarea.value = text();
    };

    // Trix acts on mousedown; a button pressed with the keyboard only clicks, so it is given
    // the mousedown it waits for. The buttons also say whether their format is on.
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-trix-attribute], button[data-trix-action]");
      if (!button || event.detail !== 0) return;
      button.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true }));
      if (!button.dataset.trixAction) area.focus();
    });
    const refreshPressed = () => {
      toolbar.querySelectorAll("button[aria-pressed]").forEach((button) => {
        const active = area.editor && area.editor.attributeIsActive(button.dataset.trixAttribute);
        button.setAttribute("aria-pressed", active ? "true" : "false");
      });
    };
    area.addEventListener("trix-selection-change", refreshPressed);
    area.addEventListener("trix-attributes-change", refreshPressed);

    // A missing token's marker that the agent typed over (or into) is no longer marked.
    const unmarkFixed = () => {
      const editor = area.editor;
      const document_ = editor.getDocument();
      const fixed = document_
        .findRangesForTextAttribute("missing")
        .filter((range) => !/^\[[a-z_]+\.[a-z_]+\]$/.test(document_.getStringAtRange(range)));
      if (!fixed.length) return;
      const selected = editor.getSelectedRange();
      fixed.forEach((range) => {
        editor.setSelectedRange(range);
        editor.deactivateAttribute("missing");
      });
      editor.setSelectedRange(selected);
    };

    area.addEventListener("trix-change", () => {
      unmarkFixed();
      if (errorLine && errorLine.dataset.missing && !area.querySelector("mark")) {
        delete errorLine.dataset.missing;
        say("");
      }
      sync();
      refreshPressed();
      if (draftKey) {
        if (text()) window.localStorage.setItem(draftKey, area.value);
        else window.localStorage.removeItem(draftKey);
      }
    });

    const imageBytes = () =>
      area.editor.getDocument().getAttachments().reduce((sum, item) => sum + (item.getFilesize() || 0), 0);
    // Images only, read into data: URLs (no upload endpoint: they travel with the form).
    area.addEventListener("trix-file-accept", (event) => {
      say("");
      if (!event.file || !event.file.type.startsWith("image/")) {
        event.preventDefault();
        say("Only images go into the text; add other files with “Attach files”.");
      } else if (event.file.size + imageBytes() > MAX_IMAGE_BYTES) {
        event.preventDefault();
        say("Images in the text may total 1.5 MB; add larger ones with “Attach files”.");
      }
    });
    area.addEventListener("trix-attachment-add", (event) => {
      const attachment = event.attachment;
      if (!attachment.file) return;
      const reader = new FileReader();
      reader.addEventListener("load", () => {
        attachment.setUploadProgress(100);
        attachment.setAttributes({ url: reader.result, previewable: true });
      });
      reader.readAsDataURL(attachment.file);
    });

    if (quoteButton && quoteTemplate) {
      quoteButton.addEventListener("click", () => {
        const editor = area.editor;
        const length = editor.getDocument().getLength();
        editor.setSelectedRange([length - 1, length - 1]);
        editor.insertLineBreak();
        editor.insertHTML(quoteTemplate.innerHTML);
        quoteButton.hidden = true;
        area.focus();
      });
    }

    root.addEventListener("editor:set-html", (event) => {
      area.editor.loadHTML(event.detail.html || "");
      if (quoteButton) quoteButton.hidden = false;
      sync();
    });
    root.addEventListener("editor:insert-html", (event) => {
      area.editor.insertHTML(event.detail.html || "");
      sync();
    });

    if (form) {
      const refuseMissing = (event) => {
        sync();
        const missing = area.querySelector("mark");
        if (!missing) return false;
        event.preventDefault();
        say(`Fill in ${missing.textContent} before sending.`);
        if (errorLine) errorLine.dataset.missing = "true";
        area.focus();
        return true;
      };
      form.addEventListener("submit", (event) => {
        if (!refuseMissing(event)) area.inputElement.value = sendableHtml(area.value);
      });
      form.addEventListener("htmx:configRequest", (event) => {
        if (event.detail.elt !== form) return;
        if (refuseMissing(event)) return;
        event.detail.parameters[area.inputElement.name] = sendableHtml(area.value);
        if (textarea) event.detail.parameters[textarea.name] = textarea.value;
      });
      form.addEventListener("reset", () => {
        area.editor.loadHTML("");
        if (quoteButton) quoteButton.hidden = false;
        if (draftKey) window.localStorage.removeItem(draftKey);
        say("");
      });
    }

    const start = () => {
      const saved = draftKey && window.localStorage.getItem(draftKey);
      if (saved && !text()) area.editor.loadHTML(saved);
      sync();
      root.dataset.editorReady = "true";
      root.dispatchEvent(new CustomEvent("editor:ready", { bubbles: true }));
    };
    if (area.editor) start();
    else area.addEventListener("trix-initialize", start, { once: true });
  };

  document.querySelectorAll("[data-editor]").forEach(setup);
})();
