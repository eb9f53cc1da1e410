// Confirmation before anything destructive: forms marked data-confirm ask first.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  // "{order_number}" in the question is replaced by what is typed in that field, so a
  // confirmation repeats the figures instead of asking blindly (dates as ДД.ММ.ГГГГ).
  if (question) {
    question = question.replace(/\{(\w+)\}/g, function (all, name) {
      var input = form.elements[name];
      if (!input) { return all; }
      var value = (input.value || "").trim();
      var iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (iso) { value = iso[3] + "." + iso[2] + "." + iso[1]; }
      return value || "(не заполнено)";
    });
  }
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// Elements marked data-poll reload the page until the job they show is finished.
(function () {
  var el = document.querySelector("[data-poll]");
  if (el) {
    setTimeout(function () { window.location.reload(); }, parseInt(el.getAttribute("data-poll"), 10) || 2000);
  }
})();
// Text fields with a length limit show how much is left ("12 / 500"), so a limit is seen before
// the server refuses the text.
(function () {
  var fields = document.querySelectorAll("input[maxlength], textarea[maxlength]");
  Array.prototype.forEach.call(fields, function (input) {
    if (input.type === "hidden" || input.type === "password" || input.type === "date") { return; }
    var limit = parseInt(input.getAttribute("maxlength"), 10);
    if (!limit || limit <= 0) { return; }
    var counter = document.createElement("div");
    counter.className = "char-counter";
    counter.setAttribute("aria-live", "polite");
    var update = function () {
      var used = input.value.length;
      counter.textContent = used + " / " + limit;
      counter.classList.toggle("near-limit", used >= limit * 0.9);
    };
    input.addEventListener("input", update);
    input.insertAdjacentElement("afterend", counter);
    update();
  });
})();
// Buttons marked data-copy copy the text of the element they name (the embed snippets).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-copy]") : null;
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) { return; }
  var text = source.value !== undefined ? source.value : source.textContent;
  var done = function () {
    var label = button.textContent;
    button.textContent = "Скопировано";
    setTimeout(function () { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    if (source.select) { source.select(); }
    document.execCommand("copy");
    done();
  }
});
