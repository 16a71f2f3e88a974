// Small behaviour htmx cannot give: copy-to-clipboard buttons with a visible confirmation.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  event.preventDefault();
  const text = button.getAttribute("data-copy");
  const status = document.getElementById(button.getAttribute("aria-describedby") || "") || button;
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = "Copied";
  } catch (error) {
    status.textContent = "Press Ctrl+C to copy";
  }
});
