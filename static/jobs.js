// A job's page asks its JSON every 1.5 s and moves the bar; when the job has finished the page
// is loaded again, and the server shows the download link or the failure with a retry.
(function () {
  var box = document.querySelector("[data-job-poll]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-poll");
  var bar = box.querySelector("progress");
  var percent = box.querySelector(".job-percent");
  var message = box.querySelector("[data-job-message]");
  var count = box.querySelector("[data-job-count]");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (job) {
        if (job.finished) { window.location.reload(); return; }
        if (bar) { bar.max = 100; bar.value = job.percent; }
        if (percent) { percent.textContent = job.percent + " %"; }
        if (message) { message.textContent = job.message; }
        if (count && job.total) { count.textContent = "Обработано строк: " + job.done + " из " + job.total + "."; }
        setTimeout(tick, 1500);
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 1000);
})();
