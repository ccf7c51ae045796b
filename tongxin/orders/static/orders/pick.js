// Optional map pick on the submit form: click the map or use the phone's location. The point
// decides the community: the form's community follows the grid the point lies in.
(function () {
  var el = document.getElementById("pick-map");
  var script = document.currentScript;
  if (!el || !window.L || !script) return;
  var data = script.dataset;
  var lng = document.getElementById("lng"), lat = document.getElementById("lat"), label = document.getElementById("pick-label");
  var community = document.getElementById("community");
  var center = (data.center || "37.866,112.559").split(",").map(parseFloat);
  var start = lng.value ? [parseFloat(lat.value), parseFloat(lng.value)] : center;
  var map = L.map(el, { attributionControl: false }).setView(start, 15);
  if (data.tileUrl) L.tileLayer(data.tileUrl, { maxZoom: 19 }).addTo(map);
  if (data.outlines) {  // the grids API needs a login; a visitor picks without the outlines
    fetch("/api/v1/grids/geojson?level=3").then(function (r) { return r.ok ? r.json() : null; }).then(function (g) {
      if (g) L.geoJSON(g, { style: { weight: 1, color: "#b71c1c", fillOpacity: 0.05 }, interactive: false }).addTo(map);
    }).catch(function () {});
  }
  var marker = null;
  function describe() {
    var url = data.placeUrl + "?lng=" + encodeURIComponent(lng.value) + "&lat=" + encodeURIComponent(lat.value);
    fetch(url).then(function (r) { return r.ok ? r.json() : null; }).then(function (p) {
      if (!p) return;
      label.textContent = p.grid ? p.grid + (p.community ? "（" + p.community + "）" : "") : lng.value + ", " + lat.value;
      if (p.community_id && community) {
        var option = community.querySelector('option[value="' + p.community_id + '"]');
        if (option) community.value = String(p.community_id);
      }
    }).catch(function () {});
  }
  function set(latlng, quiet) {
    lat.value = latlng.lat.toFixed(6); lng.value = latlng.lng.toFixed(6);
    label.textContent = lng.value + ", " + lat.value;
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng).addTo(map);
    if (!quiet) describe();
  }
  if (lng.value) set({ lat: start[0], lng: start[1] }, true);
  map.on("click", function (e) { set(e.latlng); });
  var btn = document.getElementById("locate-me");
  if (btn && navigator.geolocation) btn.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      var ll = { lat: p.coords.latitude, lng: p.coords.longitude }; set(ll); map.setView(ll, 17);
    });
  });
  var details = el.closest("details");
  if (details) details.addEventListener("toggle", function () { map.invalidateSize(); });
})();
