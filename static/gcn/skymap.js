// GCN event sky map: the figure comes from the page (json_script); Plotly's geo layer gets
// an empty local map (static/gcn/topojson/) instead of fetching the world from a CDN.
(function () {
  "use strict";
  const element = document.getElementById("skymap");
  const data = document.getElementById("skymap-figure");
  if (!element || !data) return;
  const figure = JSON.parse(data.textContent);
  function draw() {
    if (!window.Plotly) { setTimeout(draw, 50); return; }
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      responsive: true, displaylogo: false, topojsonURL: element.dataset.topojsonUrl,
    });
  }
  draw();
})();
