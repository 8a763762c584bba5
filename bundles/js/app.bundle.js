// PLANTED CUSTOM FINDER (on purpose): a "built" bundle in bundles/, served by
// demo.finders.BundleFinder rather than by STATICFILES_DIRS or an app's static/ folder.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const status = document.querySelector("[data-bundle-status]");
    if (status) {
      status.textContent = "app.bundle.js loaded";
    }
    const canvas = document.getElementById("sales-chart");
    if (canvas && window.chartLite) {
      window.chartLite.bars(canvas, [3, 5, 2, 8, 6, 9, 4]);
    }
  });
})();
