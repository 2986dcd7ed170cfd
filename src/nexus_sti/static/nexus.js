// Progressive enhancement: forms marked data-autosubmit recompute as soon as a field changes.
// Without JavaScript the form's own button does the same.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  form.addEventListener("change", () => form.requestSubmit());
});

// Parts of a page that take longer to compute load after the page: an element with
// data-fragment="URL" is replaced by what that address answers (an error says so in place).
document.querySelectorAll("[data-fragment]").forEach((box) => {
  fetch(box.dataset.fragment, { credentials: "same-origin" })
    .then((answer) => answer.text().then((html) => {
      box.innerHTML = html;
      box.dataset.loaded = answer.ok ? "ok" : "error";
    }))
    .catch(() => {
      box.innerHTML = '<p class="error">Could not load this part: reload the page to try again.</p>';
      box.dataset.loaded = "error";
    });
});

// Irreversible actions ask first: a button with data-confirm="question" submits only if the
// person confirms. (Without JavaScript the button submits; the server still checks every rule.)
document.querySelectorAll("button[data-confirm]").forEach((button) => {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});
