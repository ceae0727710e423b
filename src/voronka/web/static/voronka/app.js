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
  // Product lines in a dialog: choosing a product fills in its price (unless one was typed), and the lines
  // total is shown next to the deal amount so the user decides whether it becomes the amount.
  function linesTotal(form) {
    var q = form.querySelector("[name=lines_quantity]"), p = form.querySelector("[name=lines_price]");
    var out = form.querySelector("[data-lines-total]");
    if (!out || !q || !p) { return; }
    var num = function (v) { return parseFloat(String(v || "").replace(/\s/g, "").replace(",", ".")); };
    var total = num(q.value || "1") * num(p.value);
    // the same format as the server's money filter: 1 250 000,50 ₽ / 1,250,000.50 ₽, kopecks only when any
    var lang = (document.documentElement.lang || "ru").indexOf("en") === 0 ? "en-US" : "ru-RU";
    var digits = Math.round(total * 100) % 100 ? 2 : 0;
    var text = total.toLocaleString(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    out.textContent = isFinite(total) && total > 0 ? text + "\u00a0" + (out.dataset.sign || "") : "—";
  }
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches("select[data-prices]")) {
      var prices = JSON.parse(el.getAttribute("data-prices") || "{}");
      var price = document.getElementById(el.getAttribute("data-price-field"));
      if (price && (price.value === "" || price.hasAttribute("data-auto-price")) && prices[el.value] !== undefined) {
        price.value = prices[el.value];
        price.setAttribute("data-auto-price", "");
      }
    }
    if (el.matches("[name=lines_price]") && e.isTrusted) { el.removeAttribute("data-auto-price"); }
    if (el.form && el.matches("[name^=lines_]")) { linesTotal(el.form); }
  });
  document.addEventListener("input", function (e) {
    if (e.target.form && e.target.matches("[name=lines_quantity], [name=lines_price]")) { linesTotal(e.target.form); }
  });
  window.Voronka = { openDialogs: openDialogs };
})();
