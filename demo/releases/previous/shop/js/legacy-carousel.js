// Product carousel: scrolls the shop's product list every five seconds.
(function () {
  "use strict";

  var INTERVAL_MS = 5000;

  document.addEventListener("DOMContentLoaded", function () {
    var track = document.querySelector(".product-list");
    if (!track) {
      return;
    }
    var index = 0;
    window.setInterval(function () {
      var items = track.querySelectorAll(".product");
      if (items.length === 0) {
        return;
      }
      index = (index + 1) % items.length;
      track.scrollTo({ left: items[index].offsetLeft, behavior: "smooth" });
    }, INTERVAL_MS);
  });
})();
