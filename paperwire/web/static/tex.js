// Renders the maths the server marked as <span class="tex">$...$</span> with the vendored KaTeX.
// The span's text is exactly what the paper says (the server escaped it); KaTeX parses it as TeX
// and builds its own elements, so nothing in it is ever treated as HTML. trust:false refuses
// \href, \url, \includegraphics and the \html... commands; invalid TeX stays as its source text.
(function () {
  "use strict";
  function render(root) {
    if (!window.katex) {
      return;
    }
    var spans = (root || document).querySelectorAll("span.tex:not(.tex-rendered)");
    for (var i = 0; i < spans.length; i++) {
      var span = spans[i];
      var source = span.textContent;
      var fence = source.indexOf("$$") === 0 ? 2 : 1;
      try {
        window.katex.render(source.slice(fence, source.length - fence), span, {
          displayMode: false,
          throwOnError: false,
          trust: false,
          strict: "ignore",
          maxSize: 20,
          maxExpand: 200,
        });
        span.classList.add("tex-rendered");
        span.setAttribute("data-tex", source);
      } catch (error) {
        span.textContent = source;
      }
    }
  }
  // KaTeX (273 kB of script, its stylesheet and fonts) is fetched only by a page that has maths.
  var waiting = null;
  function withKatex(done) {
    if (window.katex) {
      done();
      return;
    }
    if (waiting) {
      waiting.push(done);
      return;
    }
    waiting = [done];
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/static/katex/katex.min.css";
    document.head.appendChild(link);
    var script = document.createElement("script");
    script.src = "/static/katex/katex.min.js";
    script.onload = function () {
      var queue = waiting;
      waiting = null;
      queue.forEach(function (callback) { callback(); });
    };
    document.head.appendChild(script);
  }
  function renderWhenNeeded(root) {
    if (!(root || document).querySelector("span.tex:not(.tex-rendered)")) {
      return;
    }
    withKatex(function () {
      render(root);
    });
  }
  window.paperwireTex = renderWhenNeeded;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      renderWhenNeeded(document);
    });
  } else {
    renderWhenNeeded(document);
  }
})();
