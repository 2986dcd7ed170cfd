// Progressive enhancement: forms marked data-autosubmit recompute as soon as a field changes.
// Without JavaScript the form's own button does the same.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
  form.addEventListener("change", () => form.requestSubmit());
});

// Parts of a page that take longer to compute load after the page: an element with
// data-fragment="URL" is replaced by what that address answers (an error says so in place).
function loadFragment(box) {
  fetch(box.dataset.fragment, { credentials: "same-origin" })
    .then((answer) => answer.text().then((html) => {
      box.innerHTML = html;
      box.dataset.loaded = answer.ok ? "ok" : "error";
      box.querySelectorAll("[data-job]").forEach(followJob);
    }))
    .catch(() => {
      box.innerHTML = '<p class="error">Could not load this part: reload the page to try again.</p>';
      box.dataset.loaded = "error";
    });
}

// Background jobs: an element with data-job="/jobs/ID" asks for the job's status every second
// and moves its progress bar; when the job ends it opens the job's page (which leads to the
// result), or, inside a part loaded with data-fragment, loads that part again.
function followJob(box) {
  const bar = box.querySelector("progress");
  const step = box.querySelector("[data-job-step]");
  const count = box.querySelector("[data-job-count]");
  const tick = () => fetch(box.dataset.job + "/status", { credentials: "same-origin" })
    .then((answer) => answer.json())
    .then((job) => {
      if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
      if (step) step.textContent = job.step;
      if (count && job.total) count.textContent = `${job.done} of ${job.total}`;
      if (job.status !== "done" && job.status !== "failed") { setTimeout(tick, 1000); return; }
      const part = box.closest("[data-fragment]");
      if (part && job.status === "done") loadFragment(part);
      else window.location.assign(box.dataset.job);
    })
    .catch(() => setTimeout(tick, 3000));
  setTimeout(tick, 1000);
}

document.querySelectorAll("[data-fragment]").forEach(loadFragment);
document.querySelectorAll("[data-job]").forEach(followJob);

// Irreversible actions ask first: a button with data-confirm="question" submits only if the
// person confirms. (Without JavaScript the button submits; the server still checks every rule.)
document.querySelectorAll("button[data-confirm]").forEach((button) => {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
});
