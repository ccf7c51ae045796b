// Draw every .echart element from its data-options JSON (built server-side by a selector).
(function () {
  function draw(root) {
    if (!window.echarts) return;
    root.querySelectorAll(".echart:not([data-drawn])").forEach(function (el) {
      el.setAttribute("data-drawn", "1");
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(el.getAttribute("data-options")));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
