// Referral list: kept in this browser (localStorage) and in the list's link. The server
// renders the list from the link, so reordering, notes and exports work without JavaScript;
// this script adds the "Add to referral list" buttons and remembers the list between searches.
(function () {
  var KEY = "locator.referrals";

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(KEY) || "{}");
      return { l: Array.isArray(saved.l) ? saved.l : [], n: saved.n || {} };
    } catch (e) {
      return { l: [], n: {} };
    }
  }

  function save(list) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(list));
    } catch (e) {
      /* storage full or disabled: the link still carries the list */
    }
    updateNavLink(list);
  }

  function listUrl(list) {
    if (!list.l.length) return "/referrals";
    var params = new URLSearchParams();
    params.set("l", list.l.join(","));
    list.l.forEach(function (key) {
      if (list.n[key]) params.set("n." + key, list.n[key]);
    });
    return "/referrals?" + params.toString();
  }

  function updateNavLink(list) {
    document.querySelectorAll("a[data-referral-link]").forEach(function (link) {
      link.href = listUrl(list);
      link.textContent = link.textContent.replace(/ \(\d+\)$/, "") +
        (list.l.length ? " (" + list.l.length + ")" : "");
    });
  }

  function setupAddButtons(list) {
    document.querySelectorAll("button[data-add-referral]").forEach(function (button) {
      var key = button.getAttribute("data-add-referral");
      function show() {
        var listed = list.l.indexOf(key) !== -1;
        button.textContent = listed ? "On your referral list ✓" : "Add to referral list";
        button.setAttribute("aria-pressed", listed ? "true" : "false");
      }
      button.hidden = false;
      show();
      button.addEventListener("click", function () {
        var at = list.l.indexOf(key);
        if (at === -1) list.l.push(key);
        else {
          list.l.splice(at, 1);
          delete list.n[key];
        }
        save(list);
        show();
      });
    });
  }

  function setupListPage(list) {
    var form = document.querySelector("form[data-referral-list]");
    var share = document.getElementById("share-link");
    if (form) {
      // The page shown is the list: remember it, notes included.
      var shown = { l: form.getAttribute("data-referral-list").split(",").filter(Boolean), n: {} };
      form.querySelectorAll("textarea[name^='n.']").forEach(function (area) {
        var key = area.name.slice(2);
        if (area.value) shown.n[key] = area.value;
        area.addEventListener("input", function () {
          if (area.value) shown.n[key] = area.value;
          else delete shown.n[key];
          save(shown);
          if (share) share.value = window.location.origin + listUrl(shown);
        });
      });
      save(shown);
      return;
    }
    var saved = document.getElementById("referral-saved");
    if (saved && list.l.length && !new URLSearchParams(window.location.search).get("l")) {
      saved.querySelector("a").href = listUrl(list);
      saved.hidden = false;
    }
  }

  function init() {
    var list = load();
    updateNavLink(list);
    setupAddButtons(list);
    setupListPage(list);
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
