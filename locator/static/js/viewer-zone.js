// Show meeting times in the viewer's own zone as well as the meeting's: fill the hidden tz
// field of the meeting search with the browser's IANA zone. Without JavaScript the page shows
// the meeting's zone only.
(function () {
  var field = document.getElementById("tz");
  if (!field || field.value) return;
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    /* an old browser: keep the meeting's zone only */
  }
})();
