// The facility search form: "use my location", and no empty filters in the shared URL.
// Without this script the form still works: type a place and submit.
(function () {
  "use strict";
  var form = document.querySelector("form.search-form");
  if (!form) return;
  var near = form.querySelector("#near");
  var button = form.querySelector("#use-location");
  var status = form.querySelector("#location-status");

  function setHidden(name, value) {
    var input = form.querySelector('input[type=hidden][name="' + name + '"]');
    if (value === null) {
      if (input) input.remove();
      return;
    }
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  if (button && "geolocation" in navigator) {
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          setHidden("lat", position.coords.latitude.toFixed(5));
          setHidden("lon", position.coords.longitude.toFixed(5));
          near.value = "";
          near.required = false;
          form.requestSubmit();
        },
        function () {
          status.textContent = button.dataset.denied;
          near.required = true;
          near.focus();
        },
        { timeout: 15000, maximumAge: 300000 }
      );
    });
  }
  near.addEventListener("input", function () {
    if (near.value.trim()) {
      setHidden("lat", null);
      setHidden("lon", null);
      near.required = true;
    }
  });
  form.addEventListener("submit", function () {
    // Leave unchosen filters out of the URL, so a shared link says only what was asked.
    Array.prototype.forEach.call(form.querySelectorAll("select, input"), function (field) {
      if (!field.value && field.name) field.disabled = true;
    });
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("[disabled]"), function (field) {
        field.disabled = false;
      });
    }, 0);
  });
})();
