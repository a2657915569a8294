// Full page reload of the big screen every app.reload_minutes, so an always-on screen never goes stale.
(function () {
  var started = Date.now();
  setInterval(function () {
    var el = document.querySelector("[data-reload-minutes]");
    if (!el) { started = Date.now(); return; }  // not on the big screen
    var minutes = parseFloat(el.getAttribute("data-reload-minutes")) || 0;
    if (minutes > 0 && Date.now() - started > minutes * 60000) { window.location.reload(); }
  }, 30000);
})();
