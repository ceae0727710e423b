// Settings screens: drag-and-drop ordering (SortableJS) of stages and dictionary entries, and keeping the
// keyboard focus on the moved row after an htmx swap.
(function () {
  "use strict";
  var lastFocusId = null;

  function ids(list) {
    return Array.prototype.map.call(list.querySelectorAll(":scope > [data-id]"), function (el) {
      return el.getAttribute("data-id");
    });
  }

  function initSortables(root) {
    if (!window.Sortable || !window.htmx) { return; }
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list.getAttribute("data-sortable-ready")) { return; }
      list.setAttribute("data-sortable-ready", "1");
      var before = ids(list).join(",");
      window.Sortable.create(list, {
        handle: ".drag-handle",
        draggable: "[data-id]",
        animation: 150,
        forceFallback: true,
        fallbackTolerance: 3,
        ghostClass: "sortable-ghost",
        chosenClass: "sortable-chosen",
        onEnd: function () {
          var order = ids(list).join(",");
          if (order === before) { return; }
          var target = list.getAttribute("data-swap-target");
          list.closest(target) && list.closest(target).setAttribute("aria-busy", "true");
          window.htmx.ajax("POST", list.getAttribute("data-reorder-url"), {
            source: list, target: target, swap: "outerHTML", select: target, values: { order: order }
          });
        }
      });
    });
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    lastFocusId = active && active.id ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    initSortables(document);
    var hint = document.querySelector("[data-refocus]");
    var id = hint ? hint.getAttribute("data-refocus") : lastFocusId;
    lastFocusId = null;
    if (!id) { return; }
    var el = document.getElementById(id);
    if (el && el.disabled) {  // moved to an end: the other arrow of the same row keeps the focus
      var other = id.indexOf("up-") === 0 ? "down-" + id.slice(3) : (id.indexOf("down-") === 0 ? "up-" + id.slice(5) : "");
      el = other ? document.getElementById(other) : null;
    }
    if (el && !el.disabled && typeof el.focus === "function") { el.focus(); }
  });

  document.addEventListener("DOMContentLoaded", function () { initSortables(document); });
})();
