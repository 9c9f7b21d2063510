// The paper page's "Similar papers": fetched after the page has loaded (finding them can take a
// moment without embeddings), so the page itself is never held up. Without script, the section
// keeps its link to the similar-papers page. The list is this server's own escaped HTML.
(function () {
  "use strict";
  function load() {
    var section = document.querySelector("section[data-similar]");
    if (!section || !window.fetch) {
      return;
    }
    fetch(section.getAttribute("data-similar"), { credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var holder = section.querySelector(".similar-placeholder");
        var box = document.createElement("div");
        box.className = "similar-results";
        box.innerHTML = html;
        if (holder) {
          section.replaceChild(box, holder);
        } else {
          section.appendChild(box);
        }
        if (window.paperwireTex) {
          window.paperwireTex(box);
        }
      })
      .catch(function () {
        /* the link to the similar-papers page stays */
      });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
