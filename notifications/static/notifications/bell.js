// The notification bell: its unread count follows the server's event stream.
(function () {
  "use strict";
  var shown = {};
  // On the notifications page, a new notice is added at the top of the list as it arrives.
  function showOnList(latest) {
    var list = document.getElementById("notice-list");
    if (!list || !latest || shown[latest.id] || list.querySelector('[data-id="' + latest.id + '"]')) return;
    shown[latest.id] = true;
    var empty = list.querySelector(".notice-empty");
    if (empty) empty.remove();
    var item = document.createElement("li");
    item.className = "unread";
    item.dataset.id = String(latest.id);
    var kind = document.createElement("span");
    kind.className = "notice-kind";
    kind.textContent = latest.kind;
    item.appendChild(kind);
    if (latest.url && latest.url.charAt(0) === "/" && latest.url.charAt(1) !== "/") {
      var link = document.createElement("a");
      link.href = latest.url;
      link.textContent = latest.text;
      item.appendChild(link);
    } else {
      item.appendChild(document.createTextNode(latest.text));
    }
    list.insertBefore(item, list.firstChild);
  }
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
      showOnList(state.latest);
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
