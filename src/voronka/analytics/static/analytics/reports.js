/* Report charts (Apache ECharts, vendored): funnel, bars or lines from the rows the table shows.
   Every element with data-chart-source (the id of its JSON script) gets one; the report page has one,
   a dashboard one per block. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var legacy = document.getElementById("report-chart");
  if (legacy && !legacy.getAttribute("data-chart-source")) { legacy.setAttribute("data-chart-source", "report-chart-data"); }
  document.querySelectorAll("[data-chart-source]").forEach(function (holder) {
    var source = document.getElementById(holder.getAttribute("data-chart-source"));
    if (source) { draw(holder, JSON.parse(source.textContent)); }
  });

function draw(holder, spec) {
  var rows = spec.rows;
  var value = spec.value;
  var byKeys = spec.by;
  function label(row, keys) {
    return keys.map(function (k) { var v = row[k]; return v === null || v === undefined ? "—" : String(v); }).join(" · ");
  }
  var option;
  if (spec.kind === "funnel") {
    var stages = [];
    rows.forEach(function (r) { if (stages.indexOf(r.stage) < 0) { stages.push(r.stage); } });
    if (!byKeys.length) {
      option = {
        tooltip: { trigger: "item", formatter: "{b}: {c}" },
        series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "8%",
                   label: { show: true, position: "inside", formatter: "{b}: {c}" },
                   data: rows.map(function (r) { return { name: r.stage, value: r[value] }; }) }]
      };
    } else {
      var groups = {};
      rows.forEach(function (r) {
        var g = label(r, byKeys);
        (groups[g] = groups[g] || {})[r.stage] = r[value];
      });
      option = {
        tooltip: { trigger: "axis" }, legend: { type: "scroll" },
        xAxis: { type: "category", data: stages, axisLabel: { interval: 0, rotate: 20 } }, yAxis: { type: "value" },
        series: Object.keys(groups).map(function (g) {
          return { name: g, type: "bar", data: stages.map(function (s) { return groups[g][s] || 0; }) };
        })
      };
    }
  } else if (spec.kind === "heatmap") {
    var xs = [], ys = [];
    rows.forEach(function (r) {
      if (xs.indexOf(r.stage) < 0) { xs.push(r.stage); }
      if (ys.indexOf(r.manager) < 0) { ys.push(r.manager); }
    });
    option = {
      tooltip: { position: "top" }, grid: { left: 140, bottom: 110 },
      xAxis: { type: "category", data: xs, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "category", data: ys },
      visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", label: { show: true },
                 data: rows.filter(function (r) { return r[value] !== null; })
                           .map(function (r) { return [xs.indexOf(r.stage), ys.indexOf(r.manager), r[value]]; }) }]
    };
  } else if (spec.kind === "plan") {
    // Plan vs fact: plan, fact and (current month) forecast side by side per subject (and month).
    var months = [];
    rows.forEach(function (r) { if (months.indexOf(r.month) < 0) { months.push(r.month); } });
    var subjectKeys = (months.length > 1 ? ["month"] : []).concat(byKeys);
    var names = rows.map(function (r) { return label(r, subjectKeys); });
    var measures = ["plan_amount", "fact_amount", "forecast_amount"].filter(function (k) {
      return rows.some(function (r) { return r[k] !== null && r[k] !== undefined; });
    });
    option = {
      tooltip: { trigger: "axis" }, legend: {},
      grid: { left: 90, right: 20, bottom: 90 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: measures.map(function (k) {
        return { name: spec.labels[k] || k, type: "bar", data: rows.map(function (r) { return r[k]; }) };
      })
    };
  } else {
    var keys = byKeys.length ? byKeys : ["currency" in (rows[0] || {}) ? "currency" : null].filter(Boolean);
    if (spec.kind === "bar" && rows.length && "reason" in rows[0]) { keys = ["reason", "stage"].concat(byKeys); }
    var categories = rows.map(function (r) { return keys.length ? label(r, keys) : spec.labels[value] || value; });
    option = {
      tooltip: { trigger: "axis" },
      grid: { left: 60, right: 20, bottom: 90 },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 6 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [{ name: spec.labels[value] || value, type: spec.kind === "line" ? "line" : "bar",
                 data: rows.map(function (r) { return r[value]; }) }]
    };
  }
  var chart = window.echarts.init(holder);
  chart.setOption(option);
  holder.setAttribute("data-chart-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
}
})();
