// The thread page's heartbeat (templates/inbox/partials/presence.html) says what this agent is
// doing: "replying" or "noting" while they typed in the last few seconds, else "viewing".
// The collision guard's buttons (templates/inbox/partials/collision.html) live here too.
(() => {
  const TYPING_MS = 6000;
  let typedAt = 0;
  let typedIn = "viewing";

  const stateOf = (element) => {
    if (!element || !element.closest) return null;
    if (element.closest("[data-note-form], #note-composer")) return "noting";
    if (element.closest("#composer")) return "replying";
    return null;
  };
  const typed = (event) => {
    const state = stateOf(event.target);
    if (!state) return;
    typedAt = Date.now();
    typedIn = state;
  };
  document.addEventListener("input", typed);
  document.addEventListener("keydown", typed);

  document.addEventListener("htmx:configRequest", (event) => {
    const elt = event.detail.elt;
    if (!elt || elt.id !== "presence") return;
    event.detail.parameters.state = Date.now() - typedAt < TYPING_MS ? typedIn : "viewing";
  });

  // Leaving the page: say goodbye at once (the presence entry would expire anyway).
  window.addEventListener("pagehide", () => {
    const presence = document.getElementById("presence");
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!presence || !token || !navigator.sendBeacon) return;
    const data = new FormData();
    data.append("state", "left");
    data.append("csrfmiddlewaretoken", token.value);
    navigator.sendBeacon(presence.getAttribute("hx-post"), data);
  });

  // A held send. "Send anyway": what arrived is now seen, so the next reply is not held for it.
  document.addEventListener("click", (event) => {
    const send = event.target.closest && event.target.closest("[data-collision-send]");
    const version = send && send.form && send.form.querySelector("input[name=version]");
    if (version) version.value = send.dataset.latest;
  });
  // "Review" keeps the draft, takes the composer's version up to what arrived (so the next Send
  // goes through) and shows the new messages.
  document.addEventListener("click", (event) => {
    const review = event.target.closest && event.target.closest("[data-collision-review]");
    if (!review) return;
    event.preventDefault();
    const composer = review.closest("form");
    const version = composer && composer.querySelector("input[name=version]");
    if (version) version.value = review.dataset.latest;
    const box = review.closest(".collision");
    const first = document.getElementById(review.dataset.firstMessage);
    if (box) {
      // Back to the empty error line the composer's requests target.
      const line = document.createElement("p");
      line.id = box.id;
      line.className = "composer__error";
      line.setAttribute("role", "alert");
      box.replaceWith(line);
    }
    const target = first || document.getElementById("messages");
    if (target) {
      target.scrollIntoView({ block: "start" });
      if (target.tabIndex < 0) target.tabIndex = -1;
      target.focus();
    }
  });
})();
