/* Tongxin grid map: grid polygons drawn with Leaflet, over a plain background unless a tile
 * server is configured. Config comes from a json_script tag (see grids/views.py _map_config).
 *
 * - overview mode: every visible grid, coloured by level, a level filter, a click anywhere asks
 *   the server "which grid holds this point" and shows the chain street → … → micro-grid;
 * - focus mode (detail page): the grid, its ancestors as outlines and its sub-grids.
 */
(function () {
  "use strict";

  var WEIGHT = { 1: 3, 2: 2.5, 3: 1.8, 4: 1.2 };
  var FILL = { 1: 0.03, 2: 0.06, 3: 0.1, 4: 0.16 };
  var DASH = { 1: "8 6", 2: null, 3: null, 4: "3 3" };

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function styleFor(cfg, level, focused) {
    var color = cfg.colors[level] || "#333";
    return {
      color: color,
      weight: focused ? 3 : WEIGHT[level] || 1.5,
      opacity: 0.9,
      dashArray: DASH[level] || null,
      fillColor: color,
      fillOpacity: focused ? 0.25 : FILL[level] || 0.1,
    };
  }

  function mount(elementId, configId) {
    var el = document.getElementById(elementId);
    var cfgEl = document.getElementById(configId);
    if (!el || !cfgEl || typeof L === "undefined") return null;
    var cfg = JSON.parse(cfgEl.textContent);
    var focusMode = cfg.focus != null;

    var map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tileUrl, preferCanvas: false });
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { attribution: cfg.attribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([35, 105], 4); // until the polygons arrive
    el.tongxinMap = map;

    var groups = {};
    [1, 2, 3, 4].forEach(function (level) {
      groups[level] = L.featureGroup().addTo(map);
    });

    function detailUrl(id) {
      return cfg.detail.replace(/\/0\/$/, "/" + id + "/");
    }

    function addFeature(feature) {
      var p = feature.properties;
      var focused = focusMode && p.id === cfg.focus;
      var style = styleFor(cfg, p.level, focused);
      if (focusMode && !focused && p.level < (cfg.focusLevel || 0)) {
        style.fillOpacity = 0; // ancestors: outline only
      }
      var layer = L.geoJSON(feature, { style: function () { return style; } });
      layer.eachLayer(function (shape) {
        shape.feature = feature;
        shape.bindTooltip(esc(p.name), {
          className: "tx-grid-label",
          direction: "center",
          permanent: focusMode ? (focused || p.parent === cfg.focus) : false,
          sticky: !focusMode,
        });
        shape.bindPopup(
          '<div class="small text-muted">' + esc(p.level_label) + " · " + esc(p.code) + "</div>" +
          '<div class="fw-semibold mb-1">' + esc(p.name) + "</div>" +
          '<div class="small mb-1">' + esc(p.organization) + "</div>" +
          '<a href="' + detailUrl(p.id) + '">' + esc(cfg.text.open) + " ›</a>"
        );
      });
      layer.addTo(groups[p.level] || map);
    }

    function bringOrder() {
      // Deeper levels on top, so a tap lands on the smallest grid.
      [1, 2, 3, 4].forEach(function (level) {
        if (map.hasLayer(groups[level])) groups[level].bringToFront();
      });
    }

    function fit() {
      var bounds = null;
      [1, 2, 3, 4].forEach(function (level) {
        if (!map.hasLayer(groups[level])) return;
        var b = groups[level].getBounds();
        if (b.isValid()) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
      });
      if (bounds) map.fitBounds(bounds, { padding: [12, 12] });
    }

    fetch(cfg.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) {
        var features = data.features || [];
        if (focusMode) {
          var self = features.filter(function (f) { return f.properties.id === cfg.focus; })[0];
          cfg.focusLevel = self ? self.properties.level : 0;
        }
        features.forEach(addFeature);
        bringOrder();
        if (focusMode) {
          var own = null;
          [1, 2, 3, 4].forEach(function (level) {
            groups[level].eachLayer(function (layer) {
              layer.eachLayer(function (shape) {
                if (shape.feature.properties.id === cfg.focus) own = shape;
              });
            });
          });
          if (own) map.fitBounds(own.getBounds(), { padding: [16, 16] });
          else fit();
        } else {
          fit();
        }
        el.dataset.features = String(features.length);
        el.dataset.ready = "1";
      })
      .catch(function () {
        el.insertAdjacentHTML("beforeend", '<div class="p-3 text-danger small position-absolute top-0 start-0" style="z-index:1000">' + esc(cfg.text.failed) + "</div>");
      });

    // Level filter (overview): checkboxes with data-level-toggle.
    document.querySelectorAll("[data-level-toggle]").forEach(function (box) {
      box.addEventListener("change", function () {
        var group = groups[parseInt(box.value, 10)];
        if (!group) return;
        if (box.checked) map.addLayer(group);
        else map.removeLayer(group);
        bringOrder();
      });
    });

    // Which grid holds this point? (overview only)
    var target = document.getElementById("locate-result");
    var marker = null;
    if (!focusMode && target) {
      map.on("click", function (e) {
        var lng = e.latlng.lng.toFixed(6), lat = e.latlng.lat.toFixed(6);
        if (marker) marker.setLatLng(e.latlng);
        else marker = L.circleMarker(e.latlng, { radius: 6, color: "#212529", weight: 2, fillColor: "#ffc107", fillOpacity: 1 }).addTo(map);
        var url = cfg.locate + "?lng=" + encodeURIComponent(lng) + "&lat=" + encodeURIComponent(lat);
        target.innerHTML = '<span class="small text-muted">' + esc(cfg.text.locating) + "</span>";
        if (window.htmx) {
          window.htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
        } else {
          fetch(url + "&format=html", { credentials: "same-origin" })
            .then(function (r) { return r.text(); })
            .then(function (html) { target.innerHTML = html; });
        }
      });
    }
    return map;
  }

  window.TongxinGridMap = { mount: mount };
})();
