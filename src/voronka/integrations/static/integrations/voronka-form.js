/*! voronka-form.js 1.0.0 — the embeddable web form of Voronka (docs/integrations.md, "The snippet for your
 * site"). Part of Voronka, same license as the project; no dependencies, no build step, plain ES2017.
 *
 * For every <form data-voronka-form data-token-url="…"> on the page: fetch the fill-time stamp, add the
 * visit's UTM parameters and referrer as hidden fields, and post the form with fetch (Accept: JSON; the
 * hosted page answers {ok, message} with CORS for any origin), then show the thank-you message in place of
 * the form, or the refusal next to it. Without JavaScript the form still posts as plain HTML.
 */
(function () {
  "use strict";
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

  function hidden(form, name, value) {
    var input = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  function say(form, text, isError) {
    var box = form.querySelector("[data-voronka-message]");
    if (!box) {
      box = document.createElement("p");
      box.setAttribute("data-voronka-message", "");
      form.appendChild(box);
    }
    box.setAttribute("role", isError ? "alert" : "status");
    box.textContent = text;
  }

  function loadToken(form) {
    var url = form.getAttribute("data-token-url");
    if (!url) return Promise.resolve();
    return fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && d.token) hidden(form, d.field || "form_token", d.token); })
      .catch(function () { /* the post is then refused as too fast; the message says so */ });
  }

  function setUp(form) {
    var query = new URLSearchParams(window.location.search);
    UTM.forEach(function (k) { if (query.get(k)) hidden(form, k, query.get(k)); });
    if (document.referrer) hidden(form, "referrer", document.referrer);
    loadToken(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector('[type="submit"]');
      if (button) button.disabled = true;
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "omit",
                           headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().catch(function () { return { ok: false }; }); })
        .then(function (d) {
          if (d.ok) {
            var thanks = document.createElement("p");
            thanks.setAttribute("role", "status");
            thanks.className = "voronka-form-thanks";
            thanks.textContent = d.message || form.getAttribute("data-thanks") || "OK";
            form.replaceWith(thanks);
            return;
          }
          say(form, d.message || form.getAttribute("data-error") || "Error", true);
          loadToken(form);  // a fresh stamp for the next try
        })
        .catch(function () { say(form, form.getAttribute("data-error") || "Error", true); })
        .finally(function () { if (button) button.disabled = false; });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-voronka-form]"), setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
