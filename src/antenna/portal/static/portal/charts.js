/* Charts of the portal, drawn with the vendored Chart.js (static/portal/vendor/chart.js).
   Each <canvas data-chart="kind" data-source="id"> reads its numbers from the
   <script type="application/json" id="id"> Django's json_script wrote; every chart also has
   the same numbers in a table next to it. */
(function () {
  "use strict";
  var COLOURS = { remaining: "#0b4f8a", reserved: "#b8420f", used: "#1d6b34", pace: "#4f5863",
                  requested: "#4f5863", awarded: "#0b4f8a" };
  var lang = document.documentElement.lang || undefined;
  function fmt(n) { return n == null ? "–" : Number(n).toLocaleString(lang, { maximumFractionDigits: 1 }); }
  function day(iso) { return new Date(iso + "T00:00:00").toLocaleDateString(lang, { day: "numeric", month: "short" }); }

  function burndown(canvas, data) {
    var l = canvas.dataset;
    function line(key, extra) {
      return Object.assign({ label: l["label" + key.charAt(0).toUpperCase() + key.slice(1)], data: data[key],
        borderColor: COLOURS[key], backgroundColor: COLOURS[key], pointRadius: 0, borderWidth: 2,
        spanGaps: false, tension: 0 }, extra || {});
    }
    return {
      type: "line",
      data: { labels: data.labels.map(day), datasets: [
        line("remaining", { fill: false }),
        line("reserved", { borderDash: [2, 2] }),
        line("used"),
        line("pace", { borderDash: [6, 4], borderWidth: 1 })
      ] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: l.labelAxis },
                       ticks: { callback: fmt } },
                  x: { ticks: { maxTicksLimit: 6, autoSkip: true } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } },
                   tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmt(c.parsed.y); } } } } }
    };
  }

  function factoryHours(canvas, data) {
    var l = canvas.dataset;
    function bars(key) {
      return { label: l["label" + key.charAt(0).toUpperCase() + key.slice(1)], data: data[key],
               backgroundColor: COLOURS[key] };
    }
    return {
      type: "bar",
      data: { labels: data.labels, datasets: [bars("requested"), bars("awarded"), bars("used")] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: l.labelAxis }, ticks: { callback: fmt } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } } }
    };
  }

  function timeToAccess(canvas, data) {
    var l = canvas.dataset;
    return {
      type: "bar",
      data: { labels: data.labels, datasets: [
        { label: l.labelMedian, data: data.median, backgroundColor: COLOURS.awarded },
        { label: l.labelP90, data: data.p90, backgroundColor: COLOURS.reserved },
        { type: "line", label: l.labelTarget, data: data.target, borderColor: COLOURS.pace,
          backgroundColor: COLOURS.pace, borderDash: [6, 4], pointRadius: 3, showLine: false }
      ] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: l.labelAxis }, ticks: { callback: fmt } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } } }
    };
  }

  function outlook(canvas, data) {
    var l = canvas.dataset;
    function line(key, colour, extra) {
      return Object.assign({ label: l["label" + key.charAt(0).toUpperCase() + key.slice(1)],
        data: data[key], borderColor: colour, backgroundColor: colour, pointRadius: 2,
        borderWidth: 2, tension: 0, spanGaps: false }, extra || {});
    }
    return {
      type: "line",
      data: { labels: data.labels, datasets: [
        line("requested", COLOURS.requested),
        line("awarded", COLOURS.awarded),
        line("used", COLOURS.used),
        line("unmet", COLOURS.reserved, { borderDash: [2, 2] }),
        line("upper", "rgba(11,79,138,0.25)", { borderWidth: 0, pointRadius: 0, fill: false }),
        line("lower", "rgba(11,79,138,0.25)", { borderWidth: 0, pointRadius: 0, fill: "-1" }),
        line("forecast", COLOURS.awarded, { borderDash: [6, 4] })
      ] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: l.labelAxis }, ticks: { callback: fmt } },
                  x: { ticks: { maxTicksLimit: 12, autoSkip: true } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } },
                   tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + fmt(c.parsed.y); } } } } }
    };
  }

  var KINDS = { burndown: burndown, "factory-hours": factoryHours, "time-to-access": timeToAccess,
                outlook: outlook };

  function draw(root) {
    if (typeof window.Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var source = document.getElementById(canvas.dataset.source);
      var build = KINDS[canvas.dataset.chart];
      if (!source || !build) { return; }
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, build(canvas, JSON.parse(source.textContent)));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
