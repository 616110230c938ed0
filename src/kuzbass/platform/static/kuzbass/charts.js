// Draws the page's plotly charts from their JSON blocks, so that pages carry no inline script:
// the Content-Security-Policy lets scripts come from this site's files only. plotly.js (over
// 1 MB) is fetched only when the page, or what htmx swaps into it, has a chart; its address is
// this script tag's data-plotly (the hashed static name).
// Each chart is <div data-chart-source="ID" data-chart-kind="figure|tally|plotly-json"> beside
// <script type="application/json" id="ID">, the data Django's json_script filter wrote.
(function () {
  "use strict";

  var CONFIG = {displayModeBar: false, displaylogo: false, responsive: true};

  function figureOf(kind, data) {
    if (kind === "tally") {
      return {
        data: [{type: "bar", x: data.labels, y: data.values}],
        layout: {title: {text: data.title}, height: 300, margin: {t: 40, b: 40}}
      };
    }
    if (kind === "plotly-json") {
      return JSON.parse(data);  // a figure serialised by plotly's own to_json
    }
    return data;
  }

  var PLOTLY = document.currentScript && document.currentScript.dataset.plotly;
  var waiting = [];

  function withPlotly(then) {
    if (window.Plotly) {
      then();
      return;
    }
    waiting.push(then);
    if (waiting.length > 1 || !PLOTLY) {
      return;  // already on its way
    }
    var script = document.createElement("script");
    script.src = PLOTLY;
    script.onload = function () {
      waiting.splice(0).forEach(function (next) { next(); });
    };
    document.head.appendChild(script);
  }

  function draw(root) {
    if (!root.querySelector("[data-chart-source]")) {
      return;
    }
    withPlotly(function () { drawNow(root); });
  }

  function drawNow(root) {
    root.querySelectorAll("[data-chart-source]").forEach(function (target) {
      var source = document.getElementById(target.dataset.chartSource);
      if (!source || target.dataset.drawn) {
        return;
      }
      var figure = figureOf(target.dataset.chartKind, JSON.parse(source.textContent));
      Plotly.newPlot(target, figure.data, figure.layout, CONFIG);
      target.dataset.drawn = "yes";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  // A vote's answer swaps the ballot in with htmx; its tally chart is drawn then.
  document.addEventListener("htmx:load", function (event) { draw(event.detail.elt); });
})();
