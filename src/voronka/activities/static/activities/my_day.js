// My day keyboard: j/k or ↓/↑ move between task rows, Enter opens the "Complete task" dialog of the
// focused row, "/" jumps to the global search. After the list refreshes (a task was completed), focus
// returns to the row at the same position so the keyboard flow goes on.
(function () {
  "use strict";
  var ROW = "[data-task-row]";
  var lastIndex = -1;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#my-day-list " + ROW)); }
  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function focusRow(index) {
    var all = rows();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(index, all.length - 1));
    all[index].focus();
    all[index].scrollIntoView({ block: "nearest" });
    lastIndex = index;
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (document.querySelector("dialog[open]")) { return; }
    var target = e.target;
    if (typing(target)) { return; }
    var row = target.closest ? target.closest(ROW) : null;
    var index = row ? rows().indexOf(row) : -1;
    var key = e.key;
    if (key === "j" || key === "о" || (key === "ArrowDown" && row)) {
      e.preventDefault();
      focusRow(index < 0 ? Math.max(lastIndex, 0) : index + 1);
    } else if (key === "k" || key === "л" || (key === "ArrowUp" && row)) {
      e.preventDefault();
      focusRow(index < 0 ? Math.max(lastIndex, 0) : index - 1);
    } else if (key === "Enter" && row && target === row) {
      var button = row.querySelector("[data-complete]");
      if (button) { e.preventDefault(); button.click(); }
    } else if (key === "/") {
      var search = document.getElementById("global-search");
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    }
  });

  document.addEventListener("focusin", function (e) {
    var row = e.target.closest ? e.target.closest(ROW) : null;
    if (row) { lastIndex = rows().indexOf(row); }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.target || e.target.id !== "my-day-list") { return; }
    var active = document.activeElement;
    if (lastIndex >= 0 && (!active || active === document.body || !document.contains(active))) {
      focusRow(lastIndex);
    }
  });
})();
