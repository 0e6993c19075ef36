// Instrument page: the field centres on an equirectangular sky (RA increasing to the left).
(function () {
  "use strict";
  const canvas = document.getElementById("fields-map");
  const holder = document.getElementById("fields-data");
  if (!canvas || !holder) return;
  const centres = JSON.parse(holder.textContent);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.fillStyle = "#eef3f8"; ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = "#c8d3de";
  for (let ra = 0; ra <= 360; ra += 60) { const x = w - (ra / 360) * w; ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke(); }
  for (let dec = -60; dec <= 60; dec += 30) { const y = ((90 - dec) / 180) * h; ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke(); }
  ctx.fillStyle = "#2c6fbb";
  for (const [ra, dec] of centres) ctx.fillRect(w - (ra / 360) * w - 1, ((90 - dec) / 180) * h - 1, 2, 2);
  canvas.dataset.points = String(centres.length);
})();
