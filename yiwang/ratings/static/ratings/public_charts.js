/* 好差评 public page: draw the bar charts from the numbers the page carries in JSON data blocks
   (json_script). The department table holds the same numbers and stays the source of truth;
   the charts are hidden from assistive technology (aria-hidden) and stay hidden without
   JavaScript. Same pattern as hotline/rates_chart.js. */
(function () {
  "use strict";

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart-source"));
    if (!source || typeof window.echarts !== "object") {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.labels || data.labels.length === 0) {
      return;
    }
    element.hidden = false;
    var narrow = window.matchMedia("(max-width: 640px)").matches;
    if (narrow) {
      // Horizontal bars on a phone: room for every department and every series.
      var perLabel = 14 * data.series.length + 16;
      element.style.height = Math.max(320, 72 + data.labels.length * perLabel) + "px";
    }
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    var valueAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
    var categoryAxis = {
      type: "category",
      data: data.labels,
      inverse: narrow,
      axisLabel: { interval: 0, width: narrow ? 96 : 120, overflow: "truncate" },
    };
    chart.setOption({
      aria: { enabled: false },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (value) {
          return value === null || value === undefined ? "—" : value + data.unit;
        },
      },
      legend: { top: 0 },
      grid: { left: narrow ? 104 : 16, right: 16, bottom: 8, top: 36, containLabel: !narrow },
      xAxis: narrow ? valueAxis : categoryAxis,
      yAxis: narrow ? categoryAxis : valueAxis,
      series: data.series.map(function (series) {
        return { name: series.name, type: "bar", data: series.data };
      }),
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function start() {
    document.querySelectorAll("[data-chart-source]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
