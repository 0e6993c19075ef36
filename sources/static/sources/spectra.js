// Source page: the spectra of the Data panel, one Plotly trace each.
(function () {
  "use strict";
  const holder = document.getElementById("spectra-data");
  const element = document.getElementById("spectra-plot");
  if (!holder || !element) return;
  const spectra = JSON.parse(holder.textContent);
  function draw() {
    if (!window.Plotly) { setTimeout(draw, 50); return; }
    const traces = spectra.map((s) => ({
      type: "scatter", mode: "lines", name: s.label, x: s.wavelengths, y: s.fluxes,
      error_y: s.errors ? { type: "data", array: s.errors, visible: false } : undefined,
      line: { width: 1 },
    }));
    const units = spectra.length ? spectra[0] : { wave_units: "", flux_units: "" };
    window.Plotly.react(element, traces, {
      margin: { l: 70, r: 10, t: 10, b: 50 },
      xaxis: { title: `wavelength (${units.wave_units})` },
      yaxis: { title: `flux (${units.flux_units})`, exponentformat: "e" },
      legend: { orientation: "h" },
    }, { responsive: true, displaylogo: false });
    element.dataset.traces = String(traces.length);
  }
  draw();
})();
