// Draws the Plotly figures a page hands over in <script type="application/json" id="metrics-charts">,
// into <div data-chart="name">. Runs on load and after every HTMX swap (filter changes).
(function () {
  "use strict";

  function draw(root) {
    var block = (root || document).querySelector("#metrics-charts");
    if (!block || typeof Plotly === "undefined") { return; }
    var figures = JSON.parse(block.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var figure = figures[el.getAttribute("data-chart")];
      if (!figure) { return; }
      Plotly.newPlot(el, figure.data, figure.layout, {displaylogo: false, responsive: true});
      el.setAttribute("data-drawn", "true");
    });
  }

  // Picking a preset window clears an explicit from/to (which would otherwise win).
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.classList.contains("metrics-filters")) { return; }
    if (event.target.name === "window") {
      form.querySelectorAll("input[type=date]").forEach(function (input) { input.value = ""; });
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
})();
