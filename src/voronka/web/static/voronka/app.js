// Voronka: small shared behaviour. Dialogs are <dialog> elements swapped into #modal-root by htmx.
(function () {
  "use strict";
  function openDialogs(root) {
    (root || document).querySelectorAll("dialog[data-autoopen]").forEach(function (d) {
      if (!d.open) { d.showModal(); }
      var first = d.querySelector("[autofocus]") || d.querySelector("input:not([type=hidden]), select, textarea, button");
      if (first) { first.focus(); }
    });
  }
  document.addEventListener("htmx:afterSwap", function (e) { openDialogs(e.target); });
  document.addEventListener("DOMContentLoaded", function () { openDialogs(document); });
  document.addEventListener("click", function (e) {
    var closer = e.target.closest("[data-close-dialog]");
    if (closer) { var d = closer.closest("dialog"); if (d) { d.close(); d.remove(); } }
  });
  document.addEventListener("close", function (e) {
    if (e.target.tagName === "DIALOG" && e.target.hasAttribute("data-autoopen")) { e.target.remove(); }
  }, true);
  // The server tells us to close the open dialog and refresh parts of the page.
  // Removal waits a tick: the other events of the same HX-Trigger header are dispatched on the element that
  // made the request (inside the dialog) after this one, and must still bubble up to <body>.
  document.body && document.body.addEventListener("voronka:closeDialog", function () {
    setTimeout(function () {
      document.querySelectorAll("#modal-root dialog").forEach(function (d) { d.close(); d.remove(); });
    }, 0);
  });
  // Behaviour declared by data attributes (the Content-Security-Policy allows no inline handlers).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches("[data-submit-on-change]") && el.form) { el.form.submit(); }
    if (el.matches("[data-go-on-change]") && el.value) { window.location.href = el.value; }
  });
  document.addEventListener("click", function (e) {
    var chip = e.target.closest("[data-fill-field]");
    if (chip && chip.form) {
      var field = chip.form.elements[chip.getAttribute("data-fill-field")];
      if (field) { field.value = chip.getAttribute("data-fill-value"); field.dispatchEvent(new Event("change", { bubbles: true })); }
    }
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-select-on-focus]")) { e.target.select(); }
  });
  // A timeline entry saved without an error: empty the form for the next one.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-reset-after-save]")) { return; }
    if (e.detail.successful && !e.detail.xhr.getResponseHeader("HX-Retarget")) {
      form.reset();
      var errors = form.querySelector(".timeline-form-errors");
      if (errors) { errors.textContent = ""; }
    }
  });
  window.Voronka = { openDialogs: openDialogs };
})();
