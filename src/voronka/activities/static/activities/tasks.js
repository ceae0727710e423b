// The task section: "select all" on the page and the count of selected tasks in the bulk bar.
(function () {
  "use strict";
  function update() {
    var boxes = document.querySelectorAll("input[name=task][form=task-bulk-form]");
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) { n += 1; } });
    var label = document.querySelector("[data-selected-count]");
    if (label && n) { label.textContent = label.getAttribute("data-template").replace("%n", String(n)); }
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-check-all]")) {
      document.querySelectorAll("input[name=task][form=task-bulk-form]").forEach(function (b) {
        b.checked = e.target.checked;
      });
    }
    if (e.target.matches("[data-check-all], input[name=task]")) { update(); }
  });
  // A task completed in the dialog: show the list again with the change.
  document.body.addEventListener("tasksChanged", function () { window.location.reload(); });
})();
