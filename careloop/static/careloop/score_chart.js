/* The Questionnaires tab's score history (ECharts): one small chart per score, its totals over time on
 * the score's bands (none–minimal … severe), from the JSON the tab carries in #score-data. Loaded each
 * time htmx swaps the tab in; a static file because the CSP allows no inline script. */
(function () {
  var box = document.getElementById("score-charts");
  if (!box) return;
  var lines = JSON.parse(document.getElementById("score-data").textContent);
  // Bands from light to strong: the higher the band, the worse for every shipped instrument.
  var SHADES = ["rgba(16,185,129,.10)", "rgba(234,179,8,.12)", "rgba(249,115,22,.13)", "rgba(239,68,68,.13)", "rgba(185,28,28,.18)"];

  function withEcharts(callback) {  // the same lazy load as trend_chart.js: one <script> for the page
    if (window.echarts) return callback();
    var waiting = window.careloopEchartsWaiting;
    if (!waiting) {
      waiting = window.careloopEchartsWaiting = [];
      var tag = document.createElement("script");
      tag.src = box.dataset.echarts;
      tag.onload = function () { waiting.splice(0).forEach(function (f) { f(); }); };
      document.head.appendChild(tag);
    }
    waiting.push(callback);
  }

  function option(line) {
    var top = line.bands.reduce(function (m, b) { return Math.max(m, b.max); }, 0) ||
      Math.max.apply(null, line.points.map(function (p) { return p.v; }));
    var shade = function (i) { return SHADES[Math.min(SHADES.length - 1, Math.round(i * (SHADES.length - 1) / Math.max(1, line.bands.length - 1)))]; };
    return {
      animation: false,
      grid: { left: 36, right: 96, top: 12, bottom: 28 },
      tooltip: {
        trigger: "item",
        formatter: function (params) {
          var p = params.data.point;
          return p.t.slice(0, 10) + "<br><b>" + box.dataset.textTotal + " " + p.v + "</b>" + (p.band ? "<br>" + p.band : "");
        }
      },
      xAxis: { type: "time", axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", min: 0, max: top, minInterval: 1 },
      series: [{
        type: "line",
        symbolSize: 9,
        lineStyle: { width: 2, color: "#0f766e" },
        itemStyle: { color: "#0f766e" },
        data: line.points.map(function (p) { return { value: [p.t, p.v], point: p }; }),
        markArea: {
          silent: true,
          label: { show: true, position: "right", color: "#475569", fontSize: 11 },
          data: line.bands.map(function (b, i) {
            return [{ name: b.label, yAxis: b.min, itemStyle: { color: shade(i) } }, { yAxis: b.max + (i === line.bands.length - 1 ? 0 : 1) }];
          })
        }
      }]
    };
  }

  withEcharts(function () {
    box.querySelectorAll(".score-canvas").forEach(function (el) {
      if (!el.isConnected) return;
      var chart = window.echarts.init(el, null, { locale: box.dataset.locale === "ZH" ? "ZH" : "EN" });
      chart.setOption(option(lines[Number(el.dataset.index)]));
      window.addEventListener("resize", function () { if (el.isConnected) chart.resize(); });
    });
  });
})();
