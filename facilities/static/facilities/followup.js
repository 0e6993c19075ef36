// Follow-up panel: offer only the chosen allocation's filters.
(function () {
  "use strict";
  const select = document.getElementById("followup-allocation");
  if (!select) return;
  function sync() {
    const option = select.options[select.selectedIndex];
    const allowed = new Set((option ? option.dataset.filters : "").split(" "));
    document.querySelectorAll(".followup-filters [data-filter]").forEach((label) => {
      const ok = allowed.has(label.dataset.filter);
      label.hidden = !ok;
      const box = label.querySelector("input");
      if (!ok) box.checked = false;
    });
  }
  select.addEventListener("change", sync);
  sync();
})();
