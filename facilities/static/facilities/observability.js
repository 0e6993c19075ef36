// Source page: tonight's airmass curve at each telescope of the user's allocations.
(function () {
  "use strict";
  const holder = document.getElementById("airmass-data");
  const element = document.getElementById("airmass-plot");
  if (!holder || !element) return;
  const curves = JSON.parse(holder.textContent);
  function draw() {
    if (!window.Plotly) { setTimeout(draw, 50); return; }
    const traces = curves.map((c) => ({
      type: "scatter", mode: "lines", name: c.telescope, x: c.times, y: c.airmass,
      connectgaps: false, hovertemplate: `${c.telescope}<br>%{x}<br>airmass %{y:.2f}<extra></extra>`,
    }));
    window.Plotly.react(element, traces, {
      margin: { l: 60, r: 10, t: 10, b: 50 },
      xaxis: { title: "UTC", type: "date" },
      yaxis: { title: "airmass", autorange: "reversed", range: [3.5, 1] },
      legend: { orientation: "h" },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 2, y1: 2, line: { dash: "dot", width: 1 } }],
    }, { responsive: true, displaylogo: false });
    element.dataset.traces = String(traces.length);
  }
  draw();
})();
