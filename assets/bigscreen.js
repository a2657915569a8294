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

// Zoom factor of the big screen's graphs relative to the 1920×1080 design (see bigscreen.css).
(function () {
  function setZoom() {
    var z = Math.max(0.5, Math.min(window.innerWidth / 1920, window.innerHeight / 1080));
    document.documentElement.style.setProperty("--big-zoom", z.toFixed(4));
  }
  setZoom();
  window.addEventListener("resize", setZoom);
})();
