// On the trigger form: how many distinct variable combinations the chosen version has, and a
// warning (not a refusal) when the record count asks for more records than that.
document.addEventListener("DOMContentLoaded", function () {
  var hint = document.getElementById("synthgov-coverage");
  var version = document.getElementById("id_template_version");
  var count = document.getElementById("id_record_count");
  if (!hint || !version || !count) { return; }
  var pending = null;

  function refresh() {
    if (!version.value) { hint.textContent = ""; hint.classList.remove("synthgov-warning"); return; }
    var url = hint.dataset.url + "?template_version=" + encodeURIComponent(version.value) +
      "&record_count=" + encodeURIComponent(count.value || "");
    var request = pending = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (request !== pending || !data) { return; }
        hint.textContent = data.warning || data.text;
        hint.classList.toggle("synthgov-warning", Boolean(data.warning));
      })
      .catch(function () { /* the hint is advice; the form works without it */ });
  }

  version.addEventListener("change", refresh);
  count.addEventListener("input", refresh);
  refresh();
});
