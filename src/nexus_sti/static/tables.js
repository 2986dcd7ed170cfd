// On a narrow screen a wide table scrolls sideways in its own box (nexus.css). A keyboard user
// must be able to reach that box to scroll it with the arrow keys, so a table that scrolls is a
// Tab stop; one that fits is not, so wide screens keep the stops they had. Tables that arrive
// later (parts of a page that load after it) are checked when they arrive.
(() => {
  const mark = () => {
    document.querySelectorAll("main table").forEach((table) => {
      if (table.scrollWidth > table.clientWidth + 1) {
        if (!table.hasAttribute("tabindex")) {
          table.tabIndex = 0;
          table.dataset.scrolls = "";
        }
      } else if (table.dataset.scrolls !== undefined) {
        table.removeAttribute("tabindex");
        delete table.dataset.scrolls;
      }
    });
  };
  let pending = 0;
  const later = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(mark);
  };
  mark();
  window.addEventListener("resize", later);
  const main = document.querySelector("main");
  if (main) new MutationObserver(later).observe(main, { childList: true, subtree: true });
})();
