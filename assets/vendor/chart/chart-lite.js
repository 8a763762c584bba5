// PLANTED PREFIX (on purpose): this file lives in assets/vendor/chart/ but STATICFILES_DIRS maps
// assets/vendor/ under the prefix "vendor", so it is served as vendor/chart/chart-lite.js.
// A tiny stand-in for a vendored charting library.
(function () {
  "use strict";

  function bars(canvas, values) {
    const context = canvas.getContext("2d");
    const max = Math.max.apply(null, values.concat([1]));
    const width = canvas.width / Math.max(values.length, 1);
    context.clearRect(0, 0, canvas.width, canvas.height);
    values.forEach(function (value, index) {
      const height = (value / max) * canvas.height;
      context.fillRect(index * width + 2, canvas.height - height, width - 4, height);
    });
  }

  window.chartLite = { bars: bars };
})();
