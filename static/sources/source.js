// Source page: Plotly light curve in magnitude or flux, against MJD or days since first detection.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("photometry-data").textContent);
  const element = document.getElementById("photometry-plot");
  const state = { unit: "mag", time: "mjd" };

  function times(mjds) {
    if (state.time === "days" && data.first_detection_mjd !== null) return mjds.map((t) => t - data.first_detection_mjd);
    return mjds;
  }
  function traces() {
    const out = [];
    for (const band of data.bands) {
      const det = band.det || {};
      const lim = band.lim || {};
      if (det.mjd && det.mjd.length) {
        const keep = det.mjd.map((_, i) => (state.unit === "mag" ? det.mag[i] !== null : det.flux[i] !== null));
        const pick = (arr) => (arr || []).filter((_, i) => keep[i]);
        out.push({
          type: "scatter", mode: "markers", name: band.band,
          x: times(pick(det.mjd)), y: pick(state.unit === "mag" ? det.mag : det.flux),
          error_y: { type: "data", array: pick(state.unit === "mag" ? det.magerr : det.fluxerr), visible: true, thickness: 1 },
          marker: { color: band.colour, size: 7 }, legendgroup: band.band,
          hovertemplate: `${band.band}<br>%{x:.4f}<br>%{y:.3f}<extra></extra>`,
        });
      }
      if (state.unit === "mag" && lim.mjd && lim.mjd.length) {
        out.push({
          type: "scatter", mode: "markers", name: band.band + " upper limit",
          x: times(lim.mjd), y: lim.mag, legendgroup: band.band,
          marker: { color: band.colour, symbol: "triangle-down-open", size: 8 },
          hovertemplate: `${band.band} &gt; %{y:.2f}<br>%{x:.4f}<extra>limit</extra>`,
        });
      }
    }
    return out;
  }
  // The value axis spans the informative points (computed on the server: points whose error
  // exceeds a bound are drawn but do not stretch it).
  function yaxis() {
    const range = (data.ranges || {})[state.unit];
    const axis = {
      title: state.unit === "mag" ? "AB magnitude" : "flux (µJy)",
      gridcolor: "#2b3543", zerolinecolor: "#5b6675",
    };
    if (range) axis.range = state.unit === "mag" ? [range[1], range[0]] : range;
    else axis.autorange = state.unit === "mag" ? "reversed" : true;
    return axis;
  }
  function layout() {
    return {
      margin: { l: 60, r: 10, t: 10, b: 50 },
      xaxis: {
        title: state.time === "mjd" ? "MJD" : "days since first detection",
        zeroline: false, tickformat: ".1f", exponentformat: "none", separatethousands: false,
        gridcolor: "#2b3543",
      },
      yaxis: yaxis(),
      legend: { orientation: "h" }, hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#0b1016",
      font: { color: "#dbe3ee" },
    };
  }
  function draw() {
    if (!window.Plotly) { setTimeout(draw, 50); return; }
    window.Plotly.react(element, traces(), layout(), { responsive: true, displaylogo: false });
    element.dataset.unit = state.unit;
  }
  document.querySelectorAll(".plot-unit").forEach((b) => b.addEventListener("click", () => {
    state.unit = b.dataset.unit;
    document.querySelectorAll(".plot-unit").forEach((o) => o.classList.toggle("active", o === b));
    draw();
  }));
  document.querySelectorAll(".plot-time").forEach((b) => b.addEventListener("click", () => {
    state.time = b.dataset.time;
    document.querySelectorAll(".plot-time").forEach((o) => o.classList.toggle("active", o === b));
    draw();
  }));
  draw();
})();
