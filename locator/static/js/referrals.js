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
      var status = document.getElementById("notes-status");
      var submit = form.querySelector("button[data-js-label]");
      if (submit) submit.textContent = submit.getAttribute("data-js-label");
      form.querySelectorAll("textarea[name^='n.']").forEach(function (area) {
        var key = area.name.slice(2);
        if (area.value) shown.n[key] = area.value;
        area.addEventListener("input", function () {
          // Every keystroke is kept: in this browser, in the address bar, in every link.
          if (area.value) shown.n[key] = area.value;
          else delete shown.n[key];
          save(shown);
          carryNotes(shown);
          if (share) share.value = window.location.origin + listUrl(shown);
          if (status) status.textContent = status.getAttribute("data-saved");
        });
      });
      save(shown);
      carryNotes(shown);
      return;
    }
    var saved = document.getElementById("referral-saved");
    if (saved && list.l.length && !new URLSearchParams(window.location.search).get("l")) {
      // /referrals without a list in its link opens the one kept in this browser.
      var empty = document.getElementById("referral-empty");
      if (empty) empty.hidden = true;
      saved.querySelector("a").href = listUrl(list);
      saved.querySelector("a").textContent = saved.getAttribute("data-opening");
      saved.hidden = false;
      window.location.replace(listUrl(list));
    }
  }

  // Put the current notes into a link's query, keeping its other parameters.
  function withNotes(href, list) {
    var url = new URL(href, window.location.href);
    Array.from(url.searchParams.keys()).forEach(function (name) {
      if (name.indexOf("n.") === 0) url.searchParams.delete(name);
    });
    list.l.forEach(function (key) {
      if (list.n[key]) url.searchParams.set("n." + key, list.n[key]);
    });
    return url.pathname + url.search + url.hash;
  }

  function carryNotes(list) {
    document
      .querySelectorAll(".export-links a, .entry-actions a, a[data-referral-link]")
      .forEach(function (link) {
        link.href = withNotes(link.getAttribute("href"), list);
      });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", withNotes(window.location.href, list));
    }
  }

  function init() {
    var list = load();
    updateNavLink(list);
    setupAddButtons(list);
    setupListPage(list);
    // "Print this list" opens the printable PDF sheet of the list as it is now, so the paper
    // is the same as the PDF export (crisis lines, notes, sources, page numbers).
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var pdf = document.querySelector(".export-links a[data-format='pdf']");
        if (pdf) window.location.href = pdf.href;
        else window.print();
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
