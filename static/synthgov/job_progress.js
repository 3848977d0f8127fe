// Moves the progress of running jobs in place, without reloading the page.
//
// Every bar of a job that is not finished carries data-progress-url: the job's JSON
// (GenerationJobAdmin.progress_view, built by jobs_app.admin.job_progress). Each second the
// JSON of every such bar is fetched and the bar, its counts and (on the job's page) the
// status, times and shard rows are updated; a bar stops polling when its job is finished.
// When the job of the change page finishes, its heading, fieldsets and buttons are swapped once
// for a fresh rendering, so the manifest, the error and the rejected records show up too.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var MAX_FAILURES = 5;

  function setText(element, text) {
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
  }

  function updateBar(bar, data) {
    var progress = bar.querySelector("progress");
    if (progress) {
      progress.max = data.total;
      progress.value = data.processed;
    }
    setText(bar.querySelector(".synthgov-progress-text"), data.text);
  }

  // A row of the job list: the counts and the status badge beside the bar.
  function updateListRow(row, data) {
    Object.keys(data.counts).forEach(function (name) {
      setText(row.querySelector("td.field-" + name), data.fields[name]);
    });
    var badge = row.querySelector(".field-status_badge");
    if (badge && badge.innerHTML !== data.status_badge) {
      badge.innerHTML = data.status_badge; // built by format_html on the server
    }
  }

  // The job's change page: read-only fields, the counts in the links, and the shard rows.
  function updateJobPage(data) {
    Object.keys(data.fields).forEach(function (name) {
      setText(document.querySelector(".form-row.field-" + name + " .readonly"), data.fields[name]);
    });
    Object.keys(data.counts).forEach(function (name) {
      document.querySelectorAll('[data-job-count="' + name + '"]').forEach(function (element) {
        setText(element, data.counts[name].toLocaleString("en") + (element.dataset.suffix || ""));
      });
    });
    var rows = {};
    document.querySelectorAll("#shards-group tr.has_original").forEach(function (row) {
      var index = row.querySelector("td.field-index");
      if (index) {
        rows[index.textContent.trim()] = row;
      }
    });
    data.shards.forEach(function (shard) {
      var row = rows[shard.index];
      if (!row) {
        return;
      }
      Object.keys(shard.fields).forEach(function (name) {
        var cell = row.querySelector("td.field-" + name);
        setText(cell && (cell.querySelector("p") || cell), shard.fields[name]);
      });
    });
  }

  // Once, when the page's job has finished: fieldsets and buttons as the server renders them now.
  function refreshFinishedPage() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.title = fresh.title;
        var parts = [
          ".breadcrumbs",
          "#content > h2",
          "#content-main .object-tools",
          "#content-main form fieldset",
          "#shards-group",
        ];
        parts.forEach(function (selector) {
          var current = document.querySelectorAll(selector);
          var replacement = fresh.querySelectorAll(selector);
          if (current.length !== replacement.length) {
            return;
          }
          current.forEach(function (element, position) {
            element.innerHTML = replacement[position].innerHTML;
          });
        });
      });
  }

  function start() {
    var onChangePage = document.body.classList.contains("change-form");
    var bars = Array.prototype.slice.call(document.querySelectorAll("[data-progress-url]"));
    var failures = 0;
    if (!bars.length) {
      return;
    }

    function pollOnce(bar) {
      return fetch(bar.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("application/json") === -1) {
            // Logged out, no longer allowed or the job is gone: leave the page as it is.
            bars.splice(bars.indexOf(bar), 1);
            return null;
          }
          return response.json();
        })
        .then(function (data) {
          if (!data) {
            return null;
          }
          updateBar(bar, data);
          var row = bar.closest("tr");
          if (onChangePage) {
            updateJobPage(data);
          } else if (row) {
            updateListRow(row, data);
          }
          if (data.finished) {
            bars.splice(bars.indexOf(bar), 1);
            bar.removeAttribute("data-job-running");
            bar.removeAttribute("data-progress-url");
            if (onChangePage) {
              return refreshFinishedPage();
            }
          }
          return null;
        });
    }

    function tick() {
      Promise.all(bars.slice().map(pollOnce))
        .then(function () {
          failures = 0;
        })
        .catch(function () {
          // The server restarting or the network dropping: try again a little later, a few times.
          failures += 1;
        })
        .then(function () {
          if (bars.length && failures < MAX_FAILURES) {
            window.setTimeout(tick, POLL_MS * (failures + 1));
          }
        });
    }

    window.setTimeout(tick, POLL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
