// Quick add lead: the deal title follows the client's name until the user edits the title.
(function () {
  "use strict";
  var form = document.getElementById("quick-add-form");
  if (!form) { return; }
  var name = form.querySelector("#id_name");
  var title = form.querySelector("#id_title");
  if (!name || !title) { return; }
  var follows = !title.value || title.value === name.value;
  name.addEventListener("input", function () { if (follows) { title.value = name.value; } });
  title.addEventListener("input", function () { follows = title.value === "" || title.value === name.value; });
})();

// Quick add: the fields the first stage of the chosen pipeline requires carry the asterisk and
// required/aria-required; the map (pipeline id → field names) is the pipeline select's data-required-map.
(function () {
  "use strict";
  var select = document.querySelector("#quick-add-form #id_pipeline");
  if (!select || !select.dataset.requiredMap) { return; }
  var map = JSON.parse(select.dataset.requiredMap);
  var all = {};
  Object.keys(map).forEach(function (k) { map[k].forEach(function (n) { all[n] = true; }); });
  function mark() {
    var wanted = {};
    (map[select.value] || []).forEach(function (n) { wanted[n] = true; });
    Object.keys(all).forEach(function (name) {
      var input = document.getElementById("id_" + name);
      if (!input) { return; }
      var label = document.querySelector('label[for="id_' + name + '"]');
      var star = label && label.querySelector(".req");
      if (wanted[name]) {
        input.setAttribute("required", "");
        input.setAttribute("aria-required", "true");
        if (label && !star) {
          star = document.createElement("span");
          star.className = "req";
          star.setAttribute("aria-hidden", "true");
          star.textContent = "*";
          label.appendChild(document.createTextNode(" "));
          label.appendChild(star);
        }
      } else {
        input.removeAttribute("required");
        input.removeAttribute("aria-required");
        if (star) { star.remove(); }
      }
    });
  }
  select.addEventListener("change", mark);
  mark();
})();
