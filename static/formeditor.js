// The form editor (templates/formeditor/edit.html): the live preview of the list table and the
// order's appendix while typing, and «add a row» buttons. Without JavaScript the page still
// works: each table has a blank row for a new item and the preview follows each save.
(function () {
  "use strict";
  var form = document.getElementById("form-editor");
  if (!form) return;
  var target = document.getElementById("preview");
  var timer = null;
  var pending = null;

  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(form.dataset.preview, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      signal: pending.signal,
    })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { target.innerHTML = html; target.dataset.state = "fresh"; })
      .catch(function (e) { if (e && e.name === "AbortError") return; target.dataset.state = "failed"; });
  }

  function later() {
    target.dataset.state = "pending";
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);

  // «Добавить …»: a copy of the table's blank row with the next free row number.
  Array.prototype.forEach.call(document.querySelectorAll("button.add-row"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var section = button.dataset.for;
      var body = document.querySelector('table[data-section="' + section + '"] tbody');
      var blank = body.querySelector("tr[data-blank]");
      var next = body.querySelectorAll("tr").length;
      var row = blank.cloneNode(true);
      var pattern = new RegExp("^" + section + "-\\d+-");
      Array.prototype.forEach.call(row.querySelectorAll("[name]"), function (input) {
        input.name = input.name.replace(pattern, section + "-" + next + "-");
        if (input.type === "checkbox") input.checked = false;
        else if (input.tagName === "INPUT" && input.name.slice(-6) !== "-width") input.value = "";
      });
      body.appendChild(row);
      var first = row.querySelector("input[type=text]:not([size='2'])");
      if (first) first.focus();
    });
  });
})();
