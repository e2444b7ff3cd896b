// "Which kind of help?": suggests starting searches from the answers, in the browser only.
// Nothing is sent or stored: the form is never submitted and nothing is written to storage.
(function () {
  "use strict";
  var form = document.getElementById("which-help");
  var result = document.getElementById("which-help-result");
  var options = document.getElementById("which-help-options");
  if (!form || !result || !options) return;
  form.querySelector("button[type=submit]").hidden = false;

  var SCORE = {
    amount: { small: 0, medium: 1, large: 2, unknown: 1 },
    often: { occasional: 0, weekly: 1, daily: 2, several: 3 },
    long: { weeks: 0, months: 1, longer: 2 },
  };

  function option(key) {
    return options.querySelector('[data-key="' + key + '"]');
  }

  // Return the suggestion keys for the answers, most important first.
  function suggest(data) {
    var other = data.getAll("other");
    var products = data.getAll("product");
    var online = data.get("where") === "online";
    var score = 0;
    ["amount", "often", "long"].forEach(function (q) {
      score += SCORE[q][data.get(q)] || 0;
    });
    if (products.indexOf("7oh") >= 0 || products.indexOf("extract") >= 0) score += 1;
    var danger =
      other.indexOf("alcohol_benzo") >= 0 ||
      other.indexOf("health") >= 0 ||
      data.get("before") === "hard";
    var keys = [];
    if (danger || score >= 6) {
      keys.push("detox");
      if (online) keys.push("tapering_online");
    } else if (score >= 3) {
      keys.push(online ? "tapering_online" : "tapering");
      keys.push(online ? "telehealth" : "intensive_outpatient");
    } else {
      keys.push(online ? "telehealth" : "outpatient");
    }
    if (other.indexOf("opioids") >= 0) keys.push("medications");
    if (other.indexOf("mental_health") >= 0) keys.push("co_occurring");
    keys.push("meetings", "withdrawal");
    return keys;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var list = result.querySelector("ul");
    list.textContent = "";
    var about = option("_guide_label").textContent;
    suggest(new FormData(form)).forEach(function (key) {
      var item = option(key);
      var li = document.createElement("li");
      li.appendChild(link(item.dataset.search, item.textContent));
      if (item.dataset.page !== item.dataset.search) {
        li.appendChild(document.createTextNode(" ("));
        li.appendChild(link(item.dataset.page, about));
        li.appendChild(document.createTextNode(")"));
      }
      list.appendChild(li);
    });
    result.hidden = false;
    result.focus();
  });
})();
