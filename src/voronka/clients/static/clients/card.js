// Client card: a task completed with a refusal may move the client to the refusal list or lose a deal;
// reload the card so its header and status show it. Other changes refresh their own sections (hx-trigger).
(function () {
  "use strict";
  document.body.addEventListener("taskCompleted", function (e) {
    if (e.detail && e.detail.outcome === "refusal") { window.location.reload(); }
  });
})();
