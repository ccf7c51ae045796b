// Leaflet's own control titles follow the page's language (it ships English only).
(function () {
  if (!window.L) return;
  var lang = (document.documentElement.lang || "").toLowerCase();
  var titles = lang.indexOf("zh-hant") === 0 ? ["放大", "縮小"] : lang.indexOf("zh") === 0 ? ["放大", "缩小"] : null;
  if (titles) L.Util.extend(L.Control.Zoom.prototype.options, { zoomInTitle: titles[0], zoomOutTitle: titles[1] });
})();
