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
