/* Tongxin road segments (门前三包) on a Leaflet map.
 * view mode: every visible adopted segment (lines thick, areas filled) over the community grids.
 * draw mode: tap to add points of a line or a polygon; the GeoJSON goes into a textarea that the
 * form posts, so pasting GeoJSON by hand works the same way. No plug-in: a few dozen lines.
 */
(function () {
  "use strict";

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  function mount(elementId, configId, opts) {
    var el = document.getElementById(elementId);
    var cfgEl = document.getElementById(configId);
    if (!el || !cfgEl || typeof L === "undefined") return null;
    var cfg = JSON.parse(cfgEl.textContent);
    opts = opts || {};
    var map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tileUrl });
    if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(map);
    map.setView([37.866, 112.559], 15);
    var bounds = null;

    function extend(layer) {
      var b = layer.getBounds && layer.getBounds();
      if (b && b.isValid()) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    }

    var grids = getJSON(cfg.grids).then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#1565c0", weight: 1.5, opacity: 0.6, fillOpacity: 0.03 }, interactive: false }).addTo(map);
      extend(layer);
    }).catch(function () {});

    var segs = getJSON(cfg.geojson).then(function (fc) {
      var layer = L.geoJSON(fc, {
        style: function (f) {
          return f.properties.kind === "line" ? { color: "#c62828", weight: 6, opacity: 0.85 } : { color: "#c62828", weight: 2, fillOpacity: 0.25 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup("<strong>" + esc(p.name) + "</strong><br>" + esc(cfg.text.unit) + "：" + esc(p.unit) + "<br>" +
            esc(cfg.text.length) + "：" + Math.round(p.length_m) + " " + esc(cfg.text.metres));
        },
      }).addTo(map);
      if (fc.features.length) { bounds = null; extend(layer); }
      return fc.features.length;
    }).catch(function () {
      el.insertAdjacentHTML("afterend", '<div class="alert alert-warning mt-2">' + esc(cfg.text.failed) + "</div>");
      return 0;
    });

    Promise.all([grids, segs]).then(function () {
      if (bounds) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
    });

    if (opts.draw) setupDraw(map, opts);
    return map;
  }

  function setupDraw(map, opts) {
    var box = document.getElementById(opts.draw);
    var points = [];
    var shape = null;
    var markers = L.layerGroup().addTo(map);

    function kind() {
      var checked = document.querySelector("input[name=draw-kind]:checked");
      return checked ? checked.value : "line";
    }

    function redraw() {
      if (shape) map.removeLayer(shape);
      markers.clearLayers();
      points.forEach(function (p) { L.circleMarker(p, { radius: 4, color: "#c62828" }).addTo(markers); });
      var coords = points.map(function (p) { return [Number(p.lng.toFixed(7)), Number(p.lat.toFixed(7))]; });
      if (kind() === "area") {
        shape = points.length >= 2 ? L.polygon(points, { color: "#c62828", fillOpacity: 0.25 }).addTo(map) : null;
        box.value = points.length >= 3 ? JSON.stringify({ type: "Polygon", coordinates: [coords.concat([coords[0]])] }) : "";
      } else {
        shape = points.length >= 2 ? L.polyline(points, { color: "#c62828", weight: 6 }).addTo(map) : null;
        box.value = points.length >= 2 ? JSON.stringify({ type: "LineString", coordinates: coords }) : "";
      }
      var count = document.getElementById("draw-count");
      if (count) count.textContent = String(points.length);
    }

    map.on("click", function (e) { points.push(e.latlng); redraw(); });
    document.querySelectorAll("input[name=draw-kind]").forEach(function (r) { r.addEventListener("change", redraw); });
    var undo = document.getElementById("draw-undo");
    if (undo) undo.addEventListener("click", function () { points.pop(); redraw(); });
    var clear = document.getElementById("draw-clear");
    if (clear) clear.addEventListener("click", function () { points = []; redraw(); });
    // A geometry already in the box (a refused form coming back) is shown, not lost.
    try {
      var g = box.value ? JSON.parse(box.value) : null;
      if (g && (g.type === "LineString" || g.type === "Polygon")) {
        var cs = g.type === "Polygon" ? g.coordinates[0].slice(0, -1) : g.coordinates;
        points = cs.map(function (c) { return L.latLng(c[1], c[0]); });
        var radio = document.querySelector("input[name=draw-kind][value=" + (g.type === "Polygon" ? "area" : "line") + "]");
        if (radio) radio.checked = true;
        redraw();
        map.fitBounds(L.latLngBounds(points), { maxZoom: 18 });
      }
    } catch (err) { /* pasted text that is not GeoJSON: the server explains */ }
  }

  window.TongxinSegmentMap = { mount: mount };
})();
