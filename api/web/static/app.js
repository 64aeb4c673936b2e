// The page's own script: live progress of a file job, and filtering a results table as you type.
// Everything works without it (the job page reloads by hand, filters submit as forms).
(function () {
  "use strict";

  function fmt(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    return typeof value === "number" ? value.toFixed(digits) : String(value);
  }

  function watchJob(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("status " + r.status); } return r.json(); })
        .then(function (p) {
          if (p.rows_total) { bar.max = p.rows_total; bar.value = p.rows_done; }
          field("state").textContent = p.state;
          field("rows_done").textContent = p.rows_done;
          field("rows_total").textContent = p.rows_total === null ? "?" : p.rows_total;
          field("rows_per_second").textContent = fmt(p.rows_per_second, 1);
          field("seconds_left").textContent = fmt(p.seconds_left, 1);
          if (p.state === "queued" || p.state === "running") {
            window.setTimeout(tick, 500);
          } else {
            window.location.reload();  // the results are rendered on the server
          }
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    }
    tick();
  }

  function filterTable(input) {
    var table = document.getElementById(input.getAttribute("data-filter-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("job-progress");
    if (box) {
      var state = box.getAttribute("data-state");
      if (state === "queued" || state === "running") { watchJob(box); }
    }
    document.querySelectorAll("[data-filter-table]").forEach(filterTable);
  });
}());
