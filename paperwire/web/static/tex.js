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
  window.paperwireTex = render;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      render(document);
    });
  } else {
    render(document);
  }
})();
