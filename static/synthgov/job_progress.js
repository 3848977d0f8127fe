// On a job's page, reload every two seconds while it runs so the progress bar moves.
(function () {
  if (document.body.classList.contains("change-form") && document.querySelector("[data-job-running]")) {
    window.setTimeout(function () { window.location.reload(); }, 2000);
  }
})();
