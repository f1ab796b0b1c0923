/* The Trends tab's chart (ECharts), drawn from the JSON the page carries in #trend-data.
 * Loaded by observations/trends_chart.html each time that fragment is shown (htmx runs the script of a
 * swapped fragment), so it draws the chart that is on the page now. A static file: the CSP allows no
 * inline script. */
(function () {
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  var el = document.getElementById("trend-canvas");
  var select = document.getElementById("trend-unit");
  var DAY = 24 * 3600 * 1000;
  // Words and addresses come from the page (translated, static URL): this file is the same in every language.
  var text = { range: el.dataset.textRange, flag: el.dataset.textFlag };
  document.querySelectorAll(".trend-picker a[data-code]").forEach(function (a) {
    var on = a.dataset.code === data.code;
    a.classList.toggle("active", on);
    if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
  });

  function withEcharts(callback) {
    if (window.echarts) return callback();
    var waiting = window.careloopEchartsWaiting;
    if (!waiting) {
      waiting = window.careloopEchartsWaiting = [];
      var tag = document.createElement("script");
      tag.src = el.dataset.echarts;
      tag.onload = function () { waiting.splice(0).forEach(function (f) { f(); }); };
      document.head.appendChild(tag);
    }
    waiting.push(callback);
  }

  function niceBounds(lo, hi) {
    var span = hi - lo || Math.abs(hi) || 1;
    var step = Math.pow(10, Math.floor(Math.log10(span)));
    if (span / step < 2) step /= 5; else if (span / step < 5) step /= 2;
    var min = Math.floor((lo - span * 0.1) / step) * step;
    if (lo >= 0 && min < 0) min = 0;
    return [min, Math.ceil((hi + span * 0.1) / step) * step, step];
  }

  function option(token) {
    var unit = data.units.find(function (u) { return u.token === token; }) || data.units[0];
    var values = data.points.map(function (p) { return p.v[unit.token]; });
    var band = data.band ? data.band[unit.token] : null;
    var extent = values.concat(band ? band.filter(function (b) { return b !== null; }) : []);
    var bounds = niceBounds(Math.min.apply(null, extent), Math.max.apply(null, extent));
    var times = data.points.map(function (p) { return Date.parse(p.t); });
    // Over two years and more, ticks fall on years only (no month ticks between them).
    var yearTicks = Math.max.apply(null, times) - Math.min.apply(null, times) > 2 * 365 * DAY;
    var series = {
      type: "line",
      name: data.name,
      symbolSize: 8,
      lineStyle: { width: 2, color: "#0f766e" },
      itemStyle: { color: "#0f766e" },
      data: data.points.map(function (p) {
        var item = { value: [p.t, p.v[unit.token]], point: p };
        if (p.abnormal) { item.itemStyle = { color: "#dc2626" }; item.symbolSize = 11; }
        return item;
      })
    };
    if (band) {
      series.markArea = {
        silent: true,
        itemStyle: { color: "rgba(16, 185, 129, 0.10)" },
        label: { show: true, position: "insideTopRight", color: "#047857", fontSize: 11 },
        data: [[{ name: text.range, yAxis: band[0] === null ? bounds[0] : band[0] }, { yAxis: band[1] === null ? bounds[1] : band[1] }]]
      };
    }
    return {
      animation: false,
      grid: { left: 56, right: 24, top: 28, bottom: 36 },
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (params) {
          var p = params.data.point;
          var shown = p.text || (p.cmp + params.data.value[1].toFixed(unit.decimals));
          var flag = p.flag ? (data.flag_labels[p.flag] || p.flag) : "";
          return p.t + "<br><b>" + shown + " " + unit.label + "</b>" + (flag ? "<br>" + text.flag + ": " + flag : "");
        }
      },
      xAxis: { type: "time", minInterval: yearTicks ? 365 * DAY : 0, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", name: unit.label, min: bounds[0], max: bounds[1], interval: bounds[2], nameTextStyle: { align: "left" } },
      series: [series]
    };
  }

  function show(token) {
    document.querySelectorAll("#trend-summary dl[data-unit]").forEach(function (dl) { dl.hidden = dl.dataset.unit !== token; });
    var chart = window.echarts.getInstanceByDom(el);
    chart.setOption(option(token), true);
  }

  withEcharts(function () {
    if (!el.isConnected) return;
    if (window.careloopTrendChart && !window.careloopTrendChart.getDom().isConnected) window.careloopTrendChart.dispose();
    window.careloopTrendChart = window.echarts.init(el, null, { locale: el.dataset.locale === "ZH" ? "ZH" : "EN" });
    show(select ? select.value : data.unit);
    if (select) select.addEventListener("change", function () { show(select.value); });
    if (!window.careloopTrendResize) {
      window.careloopTrendResize = true;
      window.addEventListener("resize", function () {
        if (window.careloopTrendChart && window.careloopTrendChart.getDom().isConnected) window.careloopTrendChart.resize();
      });
    }
  });
})();
