// Voronka kanban: SortableJS drag and drop between stage columns and onto the Won / Lost zones.
// A drop POSTs /deals/<id>/move/ (htmx.ajax); the server answers with fresh columns (out-of-band swaps),
// with a dialog asking for the fields the stage requires, or with a message (the card goes back).
(function () {
  "use strict";
  var board = document.getElementById("kboard");
  if (!board || !window.Sortable || !window.htmx) { return; }
  var query = board.dataset.query || "";
  var pending = null;  // the card moved optimistically while its dialog is open: {card, from, index}

  function url(template, id) { return template.replace("/0/", "/" + id + "/"); }

  function putBack(card, from, index) {
    if (!card || !from || !from.isConnected) { return; }
    var items = Array.prototype.filter.call(from.children, function (el) { return el !== card; });
    from.insertBefore(card, items[index] || from.querySelector(".kmore, .kempty") || null);
  }

  function revertPending() {
    if (pending) { putBack(pending.card, pending.from, pending.index); pending = null; }
  }

  function post(card, stage, from, index) {
    pending = { card: card, from: from, index: index };
    card.classList.add("is-saving");
    htmx.ajax("POST", url(board.dataset.moveUrl, card.dataset.deal), {
      source: board, target: "#modal-root", swap: "innerHTML",
      values: { stage: stage, version: card.dataset.version, ctx: "board", filters: query }
    });
  }

  function openOutcome(kind, card) {
    var base = kind === "won" ? board.dataset.winUrl : board.dataset.loseUrl;
    htmx.ajax("GET", url(base, card.dataset.deal), {
      source: board, target: "#modal-root", swap: "innerHTML",
      values: { version: card.dataset.version, ctx: "board", filters: query }
    });
  }

  var common = {
    group: "deals", sort: false, draggable: ".kcard", filter: ".kcard-move", preventOnFilter: false,
    forceFallback: true, fallbackTolerance: 4, animation: 120, scroll: true, bubbleScroll: true,
    ghostClass: "kcard-ghost", chosenClass: "kcard-chosen", dragClass: "kcard-drag"
  };

  function initColumns(root) {
    var lists = root.matches && root.matches(".kcards") ? [root] : root.querySelectorAll(".kcards");
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable) { return; }
      list.dataset.sortable = "1";
      Sortable.create(list, Object.assign({}, common, {
        onStart: function () { document.body.classList.add("is-dragging"); },
        onEnd: function (evt) {
          document.body.classList.remove("is-dragging");
          if (evt.to === evt.from || !evt.to.classList.contains("kcards")) { return; }
          var empty = evt.to.querySelector(".kempty");
          if (empty) { empty.remove(); }
          post(evt.item, evt.to.dataset.stage, evt.from, evt.oldIndex);
        }
      }));
    });
  }

  document.querySelectorAll(".kdrop").forEach(function (zone) {
    Sortable.create(zone, Object.assign({}, common, {
      group: { name: "deals", pull: false, put: true },
      onAdd: function (evt) {
        var card = evt.item;
        putBack(card, evt.from, evt.oldIndex);
        openOutcome(zone.dataset.outcome, card);
      }
    }));
  });

  // The keyboard alternative to dragging: each card's Move button opens the Move dialog.
  board.addEventListener("click", function (e) {
    var button = e.target.closest(".kcard-move");
    if (!button) { return; }
    var card = button.closest(".kcard");
    htmx.ajax("GET", url(board.dataset.moveUrl, card.dataset.deal), {
      source: board, target: "#modal-root", swap: "innerHTML", values: { ctx: "board", filters: query }
    });
  });

  initColumns(board);
  htmx.onLoad(function (elt) {
    if (elt && elt.nodeType === 1 && board.contains(elt)) { initColumns(elt); }
    // A dialog that asks for a moved card's fields: closing it without saving puts the card back.
    var dialogs = elt && elt.nodeType === 1 ? (elt.matches("dialog[data-revert]") ? [elt] : elt.querySelectorAll("dialog[data-revert]")) : [];
    Array.prototype.forEach.call(dialogs, function (d) {
      d.addEventListener("close", function () { revertPending(); });
    });
  });

  document.body.addEventListener("deals:moved", function () { pending = null; });
  document.body.addEventListener("deals:moveFailed", function () { pending = null; });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var card = pending && pending.card;
    if (card) { card.classList.remove("is-saving"); }
    if (e.detail && e.detail.failed && pending) { revertPending(); }
  });
  // Keep the filter query fresh when the board is re-filtered.
  board.addEventListener("htmx:configRequest", function () { query = board.dataset.query || ""; });
})();
