// Scanning queue: mag/flux toggle, keyboard shortcuts, live candidates over server-sent events.
// One card per object: actions swap the action bar of the card they come from, and a live
// alert of an object already on the page replaces that object's card.
(function () {
  "use strict";
  const body = document.body;
  const cards = () => Array.from(document.querySelectorAll("#cards .card"));

  // Units of the small light curves, remembered between pages.
  function setUnits(unit) {
    body.classList.toggle("units-flux", unit === "flux");
    document.querySelectorAll(".unit-toggle").forEach((b) => b.classList.toggle("active", b.dataset.unit === unit));
    try { localStorage.setItem("icare.units", unit); } catch (e) { /* private mode */ }
  }
  document.querySelectorAll(".unit-toggle").forEach((b) => b.addEventListener("click", () => setUnits(b.dataset.unit)));
  try { setUnits(localStorage.getItem("icare.units") || "mag"); } catch (e) { setUnits("mag"); }

  // Keyboard: j/k next/previous, s save, r reject (again: undo), o open.
  let selected = null;
  function select(card) {
    if (!card) return;
    if (selected) selected.classList.remove("selected");
    selected = card;
    card.classList.add("selected");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  function move(step) {
    const all = cards();
    if (!all.length) return;
    const index = selected ? all.indexOf(selected) : -1;
    select(all[Math.min(all.length - 1, Math.max(0, index + step))]);
  }
  function press(selector) {
    if (!selected) return false;
    const button = selected.querySelector(selector);
    if (!button || button.disabled) return false;
    // A bar swapped in a moment ago is initialised by htmx only when it settles (~20 ms
    // later); until then its button would submit the form natively and leave the queue.
    // Initialising it now is idempotent.
    if (window.htmx) window.htmx.process(button.form || button);
    button.click();
    return true;
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.target.isContentEditable) return;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "s": press(".save-btn"); break;
      case "r": if (!press(".reject-btn")) press(".undo-btn"); break;
      case "o": { const link = selected && selected.querySelector(".open-source"); if (link) link.click(); break; }
      default: return;
    }
    event.preventDefault();
  });
  document.addEventListener("click", (event) => {
    const card = event.target.closest && event.target.closest("#cards .card");
    if (card) select(card);
  });
  // After an action, mirror the rejected state on the card.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const card = event.target.closest ? event.target.closest(".card") : null;
    const actions = card && card.querySelector(".actions");
    if (card && actions) card.classList.toggle("rejected", !!actions.querySelector(".rejected-chip"));
  });

  // Live: new candidates arrive as rendered cards at the top of the queue.
  const status = document.getElementById("live-status");
  const container = document.getElementById("cards");
  if (status && container && window.EventSource) {
    const source = new EventSource(status.dataset.streamUrl);
    source.addEventListener("ready", () => { status.textContent = "live"; status.className = "live on"; });
    source.addEventListener("candidate", (event) => {
      const data = JSON.parse(event.data);
      const holder = document.createElement("div");
      holder.innerHTML = data.html.trim();
      const card = holder.firstElementChild;
      const shown = document.getElementById("object-" + data.target);
      if (shown && shown.dataset.candidate === String(data.id)) return;
      if (shown) {
        // The object's newer alert: its card is replaced where it stands (the shifter's
        // place in the queue does not jump), keeping the selection.
        const wasSelected = shown === selected;
        shown.replaceWith(card);
        if (wasSelected) { selected = null; select(card); }
      } else {
        container.prepend(card);
      }
      if (window.htmx) window.htmx.process(card);
      const empty = document.getElementById("empty-queue");
      if (empty) empty.remove();
    });
    source.onerror = () => { status.textContent = "live: reconnecting…"; status.className = "live off"; };
  }
})();
