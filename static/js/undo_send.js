// Undo send: counts "Sending in 8 s" down under a reply in its grace period, and after an undo
// puts the reply's text back in the composer. The server keeps the delay and decides whether an
// undo is still possible; this file only shows it.
(() => {
  const tick = (element) => {
    const left = Number(element.dataset.secondsLeft || 0);
    const started = performance.now();
    const count = element.querySelector("[data-undo-countdown]");
    const button = element.querySelector("[data-undo-button]");
    const update = () => {
      // From the seconds the server computed when it rendered this, so a skewed clock on this
      // computer cannot make the count wrong.
      const remaining = Math.max(0, Math.ceil(left - (performance.now() - started) / 1000));
      if (count) count.textContent = String(remaining);
      if (remaining > 0 && element.isConnected) return true;
      element.querySelector(".undo-send__label").textContent = "Sending…";
      if (button) button.hidden = true;
      return false;
    };
    if (!update()) return;
    const timer = window.setInterval(() => {
      if (!update()) window.clearInterval(timer);
    }, 250);
  };
  const start = (root) => {
    root.querySelectorAll("[data-undo-send]:not([data-undo-ticking])").forEach((element) => {
      element.dataset.undoTicking = "1";
      tick(element);
    });
  };

  // The composer's message line: a neutral note after an undo, an error when it came too late.
  const say = (sentence, isError) => {
    const line = document.getElementById("composer-error");
    if (!line) return;
    line.textContent = sentence;
    line.classList.toggle("composer__error--note", !isError);
  };

  // The composer's rich editor (editor.js) takes HTML through its "editor:set-html" event; the
  // plain textarea (no editor) takes the text.
  const restore = (detail) => {
    const composer = document.getElementById("composer");
    if (!composer) return;
    const cc = composer.querySelector("input[name=cc]");
    if (cc && detail.cc) cc.value = detail.cc;
    const textarea = composer.querySelector("textarea[name=body]");
    if (textarea) textarea.value = detail.text;
    const editor = composer.querySelector("[data-editor]");
    const area = editor && editor.querySelector("trix-editor");
    if (editor && area && !area.hidden) {
      editor.dispatchEvent(new CustomEvent("editor:set-html", { detail: { html: detail.html } }));
      area.focus();
    } else if (textarea) {
      textarea.focus();
    }
  };

  document.addEventListener("DOMContentLoaded", () => start(document));
  document.addEventListener("htmx:load", (event) => start(event.target));
  document.addEventListener("undo-send", (event) => {
    restore(event.detail);
    say(event.detail.note || "", false);
  });
  // A reply undone in another tab or by its author elsewhere: its refresh finds it gone.
  document.addEventListener("htmx:responseError", (event) => {
    const element = event.detail.elt;
    if (event.detail.xhr.status === 404 && element.matches("article.message[data-message-id]")) {
      element.remove();
    }
  });
  document.addEventListener("undo-send-refused", (event) => say(event.detail.note || "", true));
})();
