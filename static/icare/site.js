// Site-wide behaviour (no inline handlers anywhere: a strict Content-Security-Policy applies).
(function () {
  "use strict";
  // Images that cannot be shown (a cutout not stored) get a hatched placeholder.
  document.addEventListener("error", (event) => {
    const element = event.target;
    if (element && element.tagName === "IMG") element.classList.add("missing");
  }, true);
  // Copy buttons: <button data-copy="#selector"> copies that element's value or text.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    const text = source.dataset.secret || source.value || source.textContent;
    navigator.clipboard.writeText(text.trim()).then(() => {
      const label = button.textContent;
      button.textContent = "copied";
      setTimeout(() => { button.textContent = label; }, 1200);
    }, () => {});
  });
  // Confirm before a form marked data-confirm is sent.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);
})();
