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

// --- The proposal editor (templates/proposal_edit.html) -------------------------------------
// Rows: "Add member", "Add budget line" and each row's "Remove" work in place. (Without
// JavaScript the same buttons post the form, and the server answers with the row added or
// removed, saving nothing.) A new row copies its table's <template>, numbered after the highest
// row, so the numbers budget lines name members by stay the same while the page is open.
// Live checks: 400 ms after the last change the form is posted to data-check, which answers
// every eligibility rule's verdict on what the form holds (or what to fix first) and saves
// nothing; the answer replaces the panel, and each problem it lists is marked at its field.
document.querySelectorAll("form[data-editor]").forEach((form) => {
  const panel = form.querySelector("[data-live-panel]");
  const status = form.querySelector("[data-live-status]");
  let timer = 0;
  let asked = 0;

  const rowsOf = (table) => form.querySelector(`tbody[data-rows="${table}"]`);
  const templateOf = (table) => form.querySelector(`template[data-row-template="${table}"]`);
  const memberChoices = () => [
    ...form.querySelectorAll("select[data-member-choice]"),
    ...templateOf("budget").content.querySelectorAll("select[data-member-choice]"),
  ];

  const showLimit = (table) => {
    const body = rowsOf(table);
    const full = body.querySelectorAll("tr[data-row]").length >= Number(body.dataset.max);
    form.querySelector(`[data-add="${table}"]`).disabled = full;
    form.querySelector(`[data-full="${table}"]`).hidden = !full;
  };

  const addRow = (table) => {
    const body = rowsOf(table);
    const rows = [...body.querySelectorAll("tr[data-row]")];
    if (rows.length >= Number(body.dataset.max)) { showLimit(table); return; }
    const n = Math.max(0, ...rows.map((row) => Number(row.dataset.row))) + 1;
    const html = templateOf(table).innerHTML
      .replaceAll("__i__", String(n - 1)).replaceAll("__n__", String(n));
    body.insertAdjacentHTML("beforeend", html);
    if (table === "members") {
      memberChoices().forEach((select) => select.add(new Option(String(n), String(n))));
    }
    showLimit(table);
    body.lastElementChild.querySelector("input, select").focus();
  };

  const removeRow = (button) => {
    const row = button.closest("tr");
    const table = row.parentElement.dataset.rows;
    if (table === "members") {  // budget lines that named this member now name none
      memberChoices().forEach((select) => {
        [...select.options].filter((o) => o.value === row.dataset.row).forEach((o) => o.remove());
      });
    }
    row.remove();
    showLimit(table);
    form.querySelector(`[data-add="${table}"]`).focus();
  };

  const markFields = () => {
    form.querySelectorAll("[data-note]").forEach((note) => note.remove());
    form.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
    form.querySelectorAll("[aria-describedby^='note-']")
      .forEach((field) => field.removeAttribute("aria-describedby"));
    panel.querySelectorAll("li[data-field]").forEach((item) => {
      const field = form.querySelector(`#f-${CSS.escape(item.dataset.field)}`);
      if (!field) return;
      const note = document.createElement("small");
      note.className = "error";
      note.id = `note-${item.dataset.field}`;
      note.dataset.note = "";
      note.textContent = item.textContent;
      if (field.matches("fieldset")) field.querySelector(".rows").before(note);
      else if (field.matches("[role=group]")) field.append(note);
      else { field.after(note); field.setAttribute("aria-invalid", "true"); }
      field.setAttribute("aria-describedby", note.id);
    });
  };

  const check = () => {
    const mine = ++asked;
    panel.setAttribute("aria-busy", "true");
    fetch(form.dataset.check, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then((answer) => answer.text().then((html) => {
        if (mine !== asked) return;  // a later check is on its way
        if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
        panel.removeAttribute("aria-busy");
        panel.innerHTML = html;
        const result = panel.querySelector("[data-live]");
        panel.dataset.live = result ? result.dataset.live : "";
        if (status && result) status.textContent = result.dataset.status;
        markFields();
      }))
      .catch(() => {
        if (mine !== asked) return;
        panel.removeAttribute("aria-busy");
        panel.innerHTML = '<p class="error">Could not check the rules just now: change a field to try again, or save.</p>';
        panel.dataset.live = "error";
      });
  };
  const checkSoon = () => {
    if (!panel || !form.dataset.check) return;
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  };

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add]");
    const remove = event.target.closest("[data-remove]");
    if (!add && !remove) return;
    event.preventDefault();
    if (add) addRow(add.dataset.add); else removeRow(remove);
    checkSoon();
  });
  form.addEventListener("input", checkSoon);
  form.addEventListener("change", checkSoon);
});
