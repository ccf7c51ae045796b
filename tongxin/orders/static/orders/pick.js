// Optional map pick on the submit form: click the map or use the phone's location.
(function () {
  var el = document.getElementById("pick-map");
  if (!el || !window.L) return;
  var lng = document.getElementById("lng"), lat = document.getElementById("lat"), label = document.getElementById("pick-label");
  var start = lng.value ? [parseFloat(lat.value), parseFloat(lng.value)] : [37.866, 112.559];
  var map = L.map(el, { attributionControl: false }).setView(start, 15);
  var tiles = document.currentScript && document.currentScript.dataset.tileUrl;
  if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  fetch("/api/v1/grids/geojson?level=3").then(function (r) { return r.ok ? r.json() : null; }).then(function (g) {
    if (g) L.geoJSON(g, { style: { weight: 1, color: "#b71c1c", fillOpacity: 0.05 } }).addTo(map);
  }).catch(function () {});
  var marker = null;
  function set(latlng) {
    lat.value = latlng.lat.toFixed(6); lng.value = latlng.lng.toFixed(6);
    label.textContent = lng.value + ", " + lat.value;
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng).addTo(map);
  }
  if (lng.value) set({ lat: start[0], lng: start[1] });
  map.on("click", function (e) { set(e.latlng); });
  var btn = document.getElementById("locate-me");
  if (btn && navigator.geolocation) btn.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      var ll = { lat: p.coords.latitude, lng: p.coords.longitude }; set(ll); map.setView(ll, 17);
    });
  });
  document.querySelector("details") && document.querySelector("details").addEventListener("toggle", function () { map.invalidateSize(); });
})();
