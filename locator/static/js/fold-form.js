// A results page folds its search form into one line so a phone shows results first
// (<details>: it opens with a tap, no script needed). On a wide screen, open it.
(function () {
  "use strict";
  var folded = document.getElementById("search-details");
  if (folded && window.matchMedia && window.matchMedia("(min-width: 48em)").matches) {
    folded.open = true;
  }
})();
