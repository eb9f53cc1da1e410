// The progress of an import confirmed in the background: fills the bar from the small JSON
// endpoint every second, and shows the result page when the job is done or has failed.
(function () {
  var box = document.querySelector("[data-import-progress]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-import-progress");
  var bar = box.querySelector("[data-progress-bar]");
  var text = box.querySelector("[data-progress-text]");
  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { setTimeout(poll, 3000); return; }
        if (job.status === "done" || job.status === "failed" || job.status === "") {
          window.location.reload();
          return;
        }
        if (job.total) {
          bar.max = job.total;
          bar.value = job.done;
          bar.textContent = job.percent + "%";
          text.textContent = "Готово " + job.done + " из " + job.total + " (" + job.percent + "%).";
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  };
  setTimeout(poll, 1000);
})();
