/* Tongxin grid map: grid polygons drawn with Leaflet, over a plain background unless a tile
 * server is configured. Config comes from a json_script tag (see grids/views.py _map_config).
 *
 * - overview mode: every visible grid, coloured by level, a level filter, a click anywhere asks
 *   the server "which grid holds this point" and shows the chain street → … → micro-grid;
 * - focus mode (detail page): the grid, its ancestors as outlines and its sub-grids.
 */
(function () {
  "use strict";

  var WEIGHT = { 1: 3, 2: 2.5, 3: 1.6, 4: 1 };
  var DASH = { 1: "8 6", 2: null, 3: null, 4: "3 3" };
  var LABEL_MIN_PX = 70; // a level is labelled once its grids are this wide on screen

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function styleFor(cfg, level, opts) {
    var color = cfg.colors[level] || "#333";
    return {
      color: color,
      weight: opts.focused ? 3.5 : WEIGHT[level] || 1.5,
      opacity: 0.95,
      dashArray: DASH[level] || null,
      fillColor: color,
      // Only one level is filled at a time, so nested fills do not blend into mud.
      fillOpacity: opts.focused ? 0.22 : opts.filled ? 0.12 : 0,
    };
  }

  function mount(elementId, configId) {
    var el = document.getElementById(elementId);
    var cfgEl = document.getElementById(configId);
    if (!el || !cfgEl || typeof L === "undefined") return null;
    var cfg = JSON.parse(cfgEl.textContent);
    var focusMode = cfg.focus != null;
    var LEVELS = [1, 2, 3, 4];

    var map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tileUrl, zoomSnap: 0.25 });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.attribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([35, 105], 4); // until the polygons arrive
    el.tongxinMap = map;

    var groups = {}, labels = {}, shapes = [];
    LEVELS.forEach(function (level) {
      groups[level] = L.featureGroup().addTo(map);
      labels[level] = L.layerGroup();
    });

    function detailUrl(id) {
      return cfg.detail.replace(/\/0\/$/, "/" + id + "/");
    }

    function shown(level) {
      return map.hasLayer(groups[level]);
    }

    function deepestShown() {
      var deepest = 0;
      LEVELS.forEach(function (level) { if (shown(level) && groups[level].getLayers().length) deepest = level; });
      return deepest;
    }

    function restyle() {
      var filled = focusMode ? null : deepestShown();
      shapes.forEach(function (shape) {
        var p = shape.feature.properties;
        var focused = focusMode && p.id === cfg.focus;
        var child = focusMode && p.parent === cfg.focus;
        shape.setStyle(styleFor(cfg, p.level, { focused: focused, filled: focusMode ? child : p.level === filled }));
      });
      LEVELS.forEach(function (level) { if (shown(level)) groups[level].bringToFront(); }); // deeper on top
    }

    function relabel() {
      // Label the deepest shown level whose grids are wide enough on screen to hold their names.
      var chosen = 0;
      LEVELS.forEach(function (level) {
        if (!shown(level)) return;
        var widths = [];
        groups[level].eachLayer(function (layer) {
          var b = layer.getBounds();
          var a = map.latLngToContainerPoint(b.getSouthWest()), c = map.latLngToContainerPoint(b.getNorthEast());
          widths.push(Math.abs(c.x - a.x));
        });
        widths.sort(function (x, y) { return x - y; });
        if (widths.length && widths[Math.floor(widths.length / 2)] >= LABEL_MIN_PX) chosen = level;
      });
      LEVELS.forEach(function (level) {
        if (level === chosen) map.addLayer(labels[level]);
        else map.removeLayer(labels[level]);
      });
    }

    function popupHtml(p) {
      return '<div class="small text-muted">' + esc(p.level_label) + " · " + esc(p.code) + "</div>" +
        '<div class="fw-semibold mb-1">' + esc(p.name) + "</div>" +
        '<div class="small mb-1">' + esc(p.organization) + "</div>" +
        '<a href="' + detailUrl(p.id) + '" data-testid="popup-detail">' + esc(cfg.text.open) + " ›</a>";
    }

    function addFeature(feature) {
      var p = feature.properties;
      var layer = L.geoJSON(feature);
      layer.eachLayer(function (shape) {
        shape.feature = feature;
        shapes.push(shape);
        shape.bindTooltip(esc(p.name) + ' <span class="text-muted">' + esc(p.level_label) + "</span>", { sticky: true });
      });
      layer.addTo(groups[p.level] || map);
      var center = layer.getBounds().getCenter();
      L.marker(center, {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "tx-grid-name-wrap", html: '<span class="tx-grid-name tx-grid-name-' + p.level + '">' + esc(p.name) + "</span>", iconSize: [0, 0] }),
      }).addTo(labels[p.level] || map);
    }

    fetch(cfg.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) {
        var features = data.features || [];
        features.forEach(addFeature);
        restyle();
        var target = null;
        if (focusMode) {
          shapes.forEach(function (shape) { if (shape.feature.properties.id === cfg.focus) target = shape.getBounds(); });
        }
        if (!target) {
          LEVELS.forEach(function (level) {
            var b = groups[level].getBounds();
            if (b.isValid()) target = target ? target.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
          });
        }
        if (target) map.fitBounds(target, { padding: [12, 12] });
        relabel();
        el.dataset.features = String(features.length);
        el.dataset.ready = "1";
      })
      .catch(function () {
        el.insertAdjacentHTML("beforeend", '<div class="p-3 text-danger small position-absolute top-0 start-0" style="z-index:1000">' + esc(cfg.text.failed) + "</div>");
      });

    map.on("zoomend", relabel);

    // Level filter (overview): checkboxes with data-level-toggle.
    document.querySelectorAll("[data-level-toggle]").forEach(function (box) {
      box.addEventListener("change", function () {
        var level = parseInt(box.value, 10);
        if (!groups[level]) return;
        if (box.checked) map.addLayer(groups[level]);
        else map.removeLayer(groups[level]);
        restyle();
        relabel();
      });
    });

    // A tap opens the tapped (deepest) grid's card with a link to its page; in the overview it
    // also asks the server which grid holds the point, and shows the chain under the map.
    // (A popup bound to each polygon would stop the click before the map sees it.)
    var result = document.getElementById("locate-result");
    var marker = null;
    map.on("click", function (e) {
      var shape = e.propagatedFrom;
      if (shape && shape.feature) {
        L.popup({ autoPan: true }).setLatLng(e.latlng).setContent(popupHtml(shape.feature.properties)).openOn(map);
      }
      if (focusMode || !result) return;
      var lng = e.latlng.lng.toFixed(6), lat = e.latlng.lat.toFixed(6);
      if (marker) marker.setLatLng(e.latlng);
      else marker = L.circleMarker(e.latlng, { radius: 6, color: "#212529", weight: 2, fillColor: "#ffc107", fillOpacity: 1, interactive: false }).addTo(map);
      var url = cfg.locate + "?lng=" + encodeURIComponent(lng) + "&lat=" + encodeURIComponent(lat);
      result.innerHTML = '<span class="small text-muted">' + esc(cfg.text.locating) + "</span>";
      if (window.htmx) {
        window.htmx.ajax("GET", url, { target: result, swap: "innerHTML" });
      } else {
        fetch(url + "&format=html", { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) { result.innerHTML = html; });
      }
    });
    return map;
  }

  window.TongxinGridMap = { mount: mount };
})();
