// The review page: hovering or focusing a field marks on the page images
// the words it was read from (the .box elements with its data-field).
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) { return; }
  function mark(field, on) {
    document.querySelectorAll('.box[data-field="' + field + '"]').forEach(function (b) { b.classList.toggle("on", on); });
    form.querySelectorAll('.rf[data-field="' + field + '"]').forEach(function (r) { r.classList.toggle("on", on); });
  }
  var current = null;
  function show(field) {
    if (current === field) { return; }
    if (current) { mark(current, false); }
    current = field;
    if (field) {
      mark(field, true);
      var first = document.querySelector('.box[data-field="' + field + '"]');
      if (first && first.scrollIntoView && document.activeElement && document.activeElement.closest &&
          document.activeElement.closest('.rf[data-field="' + field + '"]')) {
        first.scrollIntoView({ block: "nearest", behavior: "smooth" });
      }
    }
  }
  form.querySelectorAll(".rf[data-field]").forEach(function (row) {
    var f = row.getAttribute("data-field");
    row.addEventListener("mouseenter", function () { show(f); });
    row.addEventListener("focusin", function () { show(f); });
    row.addEventListener("mouseleave", function () {
      if (!row.contains(document.activeElement)) { show(null); }
    });
  });
  form.addEventListener("focusout", function (e) {
    if (!form.contains(e.relatedTarget)) { show(null); }
  });
})();
