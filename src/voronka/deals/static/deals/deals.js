// Voronka deal screens: small shared behaviour (list check-all, reload buttons, page refresh after a task
// outcome that closed the deal).
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-reload]")) { window.location.reload(); }
  });
  document.addEventListener("change", function (e) {
    var all = e.target.closest("[data-check-all]");
    var form = e.target.closest("form");
    if (!form) { return; }
    var boxes = form.querySelectorAll("input[type=checkbox][name=deal]");
    if (all) { boxes.forEach(function (b) { b.checked = all.checked; }); }
    if (all || e.target.name === "deal") {
      var n = form.querySelectorAll("input[type=checkbox][name=deal]:checked").length;
      var label = form.querySelector("[data-selected-count]");
      if (label) { label.textContent = label.dataset.template ? label.dataset.template.replace("%n", n) : String(n); }
    }
  });
  // Filter forms keep the URL short: empty filters are left out.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form.filters")) { return; }
    e.preventDefault();
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") { params.append(key, value); } });
    var query = params.toString();
    window.location.assign(form.getAttribute("action") + (query ? "?" + query : ""));
  });
  // A task completed with "refusal" closes the deal: the whole deal page changes.
  document.body.addEventListener("taskCompleted", function (e) {
    var detail = e.detail || {};
    if (detail.outcome === "refusal" && document.getElementById("deal-version")) { window.location.reload(); }
  });
})();
