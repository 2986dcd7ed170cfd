// Progressive enhancement: forms marked data-autosubmit recompute as soon as a field changes.
// Without JavaScript the form's own button does the same.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  form.addEventListener("change", () => form.requestSubmit());
});
