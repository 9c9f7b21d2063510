/* paperwire's page behaviour: the theme toggle and the keyboard. Loaded in <head> without defer so
   the stored theme is set before the page is painted (the Content-Security-Policy allows no inline
   script); everything else waits for the document. */
(function () {
  "use strict";
  var KEY = "paperwire-theme";
  var root = document.documentElement;

  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  var choice = stored();
  if (choice === "light" || choice === "dark") root.setAttribute("data-theme", choice);

  function currentTheme() {
    var set = root.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setupTheme() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    function show() {
      var dark = currentTheme() === "dark";
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.title = dark ? "Dark theme (switch to light)" : "Light theme (switch to dark)";
    }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
      show();
    });
  }

  // --- keyboard: j/k move between papers, u upvotes, r marks read, o opens, / searches, ? lists the keys ---
  var current = -1;

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("article.card"));
  }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function titleLink(card) {
    return card.querySelector(".card-title a");
  }

  function move(step) {
    var list = cards();
    if (!list.length) return;
    var active = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("article.card") : null;
    var at = active ? list.indexOf(active) : current;
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    select(list, next);
  }

  function select(list, index) {
    list.forEach(function (card, i) { card.classList.toggle("is-current", i === index); });
    current = index;
    var link = titleLink(list[index]);
    if (link) link.focus();
    list[index].scrollIntoView({ block: "nearest" });
  }

  function currentCard() {
    var list = cards();
    var active = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("article.card") : null;
    return active || list[current] || null;
  }

  function help() {
    var dialog = document.getElementById("keys-help");
    if (!dialog || typeof dialog.showModal !== "function") return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    var dialog = document.getElementById("keys-help");
    if (dialog && dialog.open && event.key !== "?") return;
    var card;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
        card = currentCard();
        if (!card) return;
        window.location.href = titleLink(card).href;
        break;
      case "u":
        card = currentCard();
        if (!card) return;
        var vote = card.querySelector(".vote-button, .votes a");
        if (!vote) return;
        vote.click();
        break;
      case "r":
        card = currentCard();
        if (!card) return;
        var mark = card.querySelector(".read-button");
        if (!mark) return;
        mark.click();
        break;
      case "/":
        var box = document.getElementById("q") || document.getElementById("header-q");
        if (!box || !box.offsetParent) {  // a phone's header has no search box: the search page has
          window.location.href = "/search";
          break;
        }
        box.focus();
        box.select();
        break;
      case "?": help(); break;
      default: return;
    }
    event.preventDefault();
  }

  function setupKeys() {
    document.addEventListener("keydown", onKey);
    var close = document.getElementById("keys-help-close");
    if (close) close.addEventListener("click", function () { document.getElementById("keys-help").close(); });
    // The account menu closes with Escape and when the focus or a click leaves it.
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("details.account-menu[open], details.calendar[open]").forEach(function (menu) {
        menu.open = false;
        var summary = menu.querySelector("summary");
        if (summary) summary.focus();
      });
    });
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.open = false;
      });
    });
  }

  function start() {
    setupTheme();
    setupKeys();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
