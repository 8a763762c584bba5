// Shop cart. A normal, unique file: only demo.shop ships shop/js/cart.js.
(function () {
  "use strict";

  const cart = new Map();

  function add(sku, quantity) {
    cart.set(sku, (cart.get(sku) || 0) + quantity);
    return cart.get(sku);
  }

  function count() {
    let total = 0;
    cart.forEach(function (quantity) {
      total += quantity;
    });
    return total;
  }

  window.demoCart = { add: add, count: count };
})();
