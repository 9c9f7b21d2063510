// Upvotes and read marks without a page reload: the vote form (templates/_vote.html, a macro) and the
// read toggle (templates/_card.html) are posted with fetch, and its
// count, pressed state and next action follow the server's answer. Without JavaScript, or when the
// request fails, the form is simply submitted and the page comes back.
"use strict";

function showVote(form, data) {
  const button = form.querySelector("button");
  form.querySelector(".votes-count").textContent = String(data.upvotes);
  form.querySelector('input[name="action"]').value = data.voted ? "unvote" : "vote";
  button.setAttribute("aria-pressed", data.voted ? "true" : "false");
  button.title = data.voted ? "Take back your upvote" : "Upvote this paper";
  const hidden = button.querySelector(".visually-hidden");
  if (hidden) {
    hidden.textContent = data.voted
      ? "upvotes, upvoted by you: take back your upvote"
      : "upvotes: upvote";
  }
  const label = button.querySelector(".votes-label");
  if (label) label.textContent = data.voted ? "Upvoted" : "Upvote";
}

function showRead(form, data) {
  const button = form.querySelector("button");
  form.querySelector('input[name="action"]').value = data.read ? "unread" : "read";
  button.setAttribute("aria-pressed", data.read ? "true" : "false");
  button.title = data.read ? "Mark as unread" : "Mark as read";
  button.textContent = data.read ? "Read \u2713" : "Mark read";
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const isRead = form.hasAttribute("data-read");
  if (!isRead && !form.hasAttribute("data-vote")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  try {
    // getAttribute: the form's input named "action" shadows the form.action property.
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`vote answered ${response.status}`);
    const data = await response.json();
    if (isRead) showRead(form, data); else showVote(form, data);
    button.removeAttribute("aria-busy");
  } catch (error) {
    // Let the plain form show what went wrong (sign-in page, error page).
    form.submit();
  }
});
