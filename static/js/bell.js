// The header's bell: a click opens its panel (the notifications list, loaded with htmx) instead
// of following the link; Escape or a click elsewhere closes it. The bell itself is swapped by
// its live poll, so the open state is put back on the new element after every swap.
(() => {
  const panel = () => document.getElementById("bell-panel");
  const bell = () => document.getElementById("bell");
  let open = false;

  const sync = () => {
    const button = bell();
    if (!button) return;
    button.setAttribute("role", "button");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  };

  const show = () => {
    const target = panel();
    const button = bell();
    if (!target || !button || !window.htmx) return;
    open = true;
    target.hidden = false;
    sync();
    window.htmx.ajax("GET", button.dataset.panelUrl, { target: target, swap: "innerHTML" });
  };

  const hide = (refocus) => {
    const target = panel();
    if (!target || !open) return;
    open = false;
    target.hidden = true;
    sync();
    if (refocus && bell()) bell().focus();
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("#bell");
    if (button) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return; // let a new tab open
      event.preventDefault();
      if (open) hide(false); else show();
      return;
    }
    if (open && panel() && !panel().contains(event.target)) hide(false);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && open) hide(true);
    // Space activates it like a button (Enter already follows the link's click).
    if (event.key === " " && document.activeElement === bell()) {
      event.preventDefault();
      if (open) hide(false); else show();
    }
  });
  document.addEventListener("htmx:afterSwap", sync);
  document.addEventListener("DOMContentLoaded", sync);
})();
