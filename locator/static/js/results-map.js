// The results map: one marker per listed facility, each linked to its entry in the list.
// The list is the page; the map is an extra that appears only when this script runs.
(function () {
  "use strict";
  var box = document.getElementById("results-map");
  if (!box || typeof L === "undefined") return;
  var items = Array.prototype.slice.call(document.querySelectorAll(".result[data-lat]"));
  if (!items.length) return;
  box.hidden = false;

  var map = L.map(box, { scrollWheelZoom: false, zoomControl: false });
  // The page gives the zoom buttons' names in the visitor's language (Leaflet's are English).
  L.control
    .zoom({
      zoomInTitle: box.dataset.zoomIn || "Zoom in",
      zoomOutTitle: box.dataset.zoomOut || "Zoom out",
    })
    .addTo(map);
  var attribution = document.createElement("a");
  attribution.href = box.dataset.attributionUrl;
  attribution.textContent = box.dataset.attribution;
  L.tileLayer(box.dataset.tiles, { maxZoom: 18, attribution: attribution.outerHTML }).addTo(map);

  var points = [];
  items.forEach(function (item, index) {
    var at = [parseFloat(item.dataset.lat), parseFloat(item.dataset.lon)];
    points.push(at);
    var number = item.parentElement.start + index;
    var marker = L.marker(at, { title: number + ". " + item.dataset.name, alt: number + ". " + item.dataset.name });
    var popup = document.createElement("div");
    var name = document.createElement("strong");
    name.textContent = number + ". " + item.dataset.name;
    var link = document.createElement("a");
    link.href = "#" + item.id;
    link.textContent = box.dataset.listLabel;
    link.addEventListener("click", function () {
      item.focus();
    });
    popup.appendChild(name);
    popup.appendChild(document.createElement("br"));
    popup.appendChild(link);
    marker.bindPopup(popup);
    marker.addTo(map);
    item.dataset.marker = String(index);
  });
  if (box.dataset.originLat) {
    var origin = [parseFloat(box.dataset.originLat), parseFloat(box.dataset.originLon)];
    // As text: Leaflet inserts a string tooltip as HTML, and the label echoes the visitor's input.
    var tip = document.createElement("span");
    tip.textContent = box.dataset.originLabel;
    L.circleMarker(origin, { radius: 6, weight: 2 })
      .bindTooltip(tip)
      .addTo(map);
    points.push(origin);
  }
  map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 14 });
  // The list entry a popup's link (or the Back button) lands on takes the focus once the
  // address shows it too: on a busy machine the click's own focus could be taken back by the
  // link before the jump, leaving a keyboard user in the map.
  window.addEventListener("hashchange", function () {
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && target.classList.contains("result")) target.focus();
  });
})();
