// Confirmation before anything destructive: forms marked data-confirm ask first.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
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
