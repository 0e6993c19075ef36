// Observation plans on the GCN event page: live progress of running plans, and the planned
// fields drawn over the sky map (#skymap, a Plotly geo figure whose longitude is -RA).
(function () {
  "use strict";

  function poll(bar) {
    var url = bar.getAttribute("data-status-url");
    var id = bar.getAttribute("data-plan-id");
    var timer = setInterval(function () {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { return; }
          bar.value = s.progress;
          bar.setAttribute("data-status", s.status);
          var stage = document.querySelector('[data-plan-stage="' + id + '"]');
          if (stage) { stage.textContent = s.stage; }
          var status = document.querySelector('[data-plan-status="' + id + '"]');
          if (status) { status.textContent = s.status + (s.error ? ": " + s.error : ""); }
          if (["complete", "failed", "cancelled"].indexOf(s.status) >= 0) {
            clearInterval(timer);
            var here = new URL(window.location.href);
            here.searchParams.set("plan", id);
            here.hash = "observation-plans";
            if (here.toString() === window.location.href) { window.location.reload(); }
            else { window.location.assign(here.toString()); }
          }
        })
        .catch(function () {});
    }, 1000);
  }

  function plotLon(ra) { return -((((ra + 180) % 360) + 360) % 360 - 180); }

  var COLORS = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

  function drawFields() {
    var data = document.getElementById("plan-fields");
    var plot = document.getElementById("skymap");
    if (!data || !plot || !window.Plotly) { return; }
    if (!plot.data) { setTimeout(drawFields, 200); return; }
    var fields = JSON.parse(data.textContent);
    var byInstrument = {};
    fields.forEach(function (f) {
      var t = byInstrument[f.instrument] || (byInstrument[f.instrument] = {lon: [], lat: [], text: []});
      var prev = null;
      f.outline.forEach(function (p) {
        var lon = plotLon(p[0]);
        if (prev !== null && Math.abs(lon - prev) > 180) { t.lon.push(null); t.lat.push(null); t.text.push(null); }
        t.lon.push(lon); t.lat.push(p[1]);
        t.text.push(f.instrument + " field " + f.field_id + "<br>RA " + f.ra.toFixed(3) + " Dec " + f.dec.toFixed(3) +
                    "<br>" + f.filters.join(", ") + " from " + f.first.slice(11, 16) + " UTC");
        prev = lon;
      });
      t.lon.push(null); t.lat.push(null); t.text.push(null);
    });
    var traces = Object.keys(byInstrument).map(function (name, i) {
      var t = byInstrument[name];
      return {type: "scattergeo", mode: "lines", name: name + " fields", lon: t.lon, lat: t.lat,
              text: t.text, hoverinfo: "text", line: {color: COLORS[i % COLORS.length], width: 1.5}};
    });
    var lon = [], lat = [], text = [];
    for (var ra = 0; ra < 360; ra += 30) { lon.push(plotLon(ra)); lat.push(0); text.push((ra / 15) + "h"); }
    [-60, -30, 30, 60].forEach(function (d) { lon.push(plotLon(0)); lat.push(d); text.push(d + "°"); });
    traces.push({type: "scattergeo", mode: "text", name: "RA/Dec", lon: lon, lat: lat, text: text,
                 textfont: {size: 10, color: "#666"}, hoverinfo: "skip", showlegend: false});
    window.Plotly.addTraces(plot, traces);
  }

  function start() {
    document.querySelectorAll("progress[data-plan-id]").forEach(function (bar) {
      var s = bar.getAttribute("data-status");
      if (s === "queued" || s === "running") { poll(bar); }
    });
    drawFields();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
