// Entry form: show only the service norms the chosen catalogue touchpoint has (a touchpoint
// typed by hand may have any of them); hide the "own touchpoint" fields while one is picked.
(function () {
  var form = document.querySelector("form.entry-form[data-norms]");
  if (!form) { return; }
  var norms = JSON.parse(form.getAttribute("data-norms") || "{}");
  var select = form.querySelector("select[name=touchpoint_code]");
  if (!select) { return; }
  function update() {
    var code = select.value;
    var own = code === "";
    var allowed = own ? null : (norms[code] || []);
    form.querySelectorAll(".field.norm").forEach(function (el) {
      var name = (el.className.match(/norm-([a-z_]+)/) || [])[1];
      var show = own || allowed.indexOf(name) !== -1;
      el.classList.toggle("is-hidden", !show);
    });
    var noneShown = !own && allowed.length === 0;
    var fs = form.querySelector("fieldset.norms");
    if (fs) { fs.classList.toggle("is-hidden", noneShown); }
    ["touchpoint", "channel_kind"].forEach(function (n) {
      var el = form.querySelector(".field." + n);
      if (el) { el.classList.toggle("is-hidden", !own); }
    });
  }
  select.addEventListener("change", update);
  update();
})();
// The process column's hint follows the chosen activity area (Murmansk Appendix 2, column 3).
(function () {
  var form = document.querySelector("form.entry-form[data-hints]");
  if (!form) { return; }
  var hints = JSON.parse(form.getAttribute("data-hints") || "{}");
  var area = form.querySelector("select[name=activity_area]");
  var process = form.querySelector("[name=process_name]");
  if (!area || !process) { return; }
  function update() { process.placeholder = hints[area.value] || ""; }
  area.addEventListener("change", update);
  update();
})();
