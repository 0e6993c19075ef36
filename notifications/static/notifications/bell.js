// The notification bell: its unread count follows the server's event stream.
(function () {
  "use strict";
  function start() {
    var bell = document.getElementById("notification-bell");
    var count = document.getElementById("notification-count");
    if (!bell || !count || !window.EventSource) return;
    var source = new EventSource(bell.dataset.stream);
    source.addEventListener("count", function (event) {
      var state = JSON.parse(event.data);
      count.textContent = String(state.unread);
      count.hidden = state.unread === 0;
      bell.setAttribute("aria-label", "Notifications, " + state.unread + " unread");
      if (state.latest) bell.title = state.latest.text;
      bell.dataset.unread = String(state.unread);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
