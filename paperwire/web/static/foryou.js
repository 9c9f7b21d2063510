// "More like this" and "Not interested" without a page reload: the feedback form
// (templates/foryou.html) is posted with fetch; a paper marked not interested leaves the list, one
// asked for more is marked. Without JavaScript, or when the request fails, the form is submitted.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-feedback")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`feedback answered ${response.status}`);
    const data = await response.json();
    const item = form.closest(".foryou-item");
    if (data.signal === "not_interested" && item) {
      item.remove();
    } else {
      button.setAttribute("aria-pressed", "true");
      button.textContent = "More like this \u2713";
    }
    button.removeAttribute("aria-busy");
  } catch (error) {
    form.submit();
  }
});
