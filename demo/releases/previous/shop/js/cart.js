// Shop cart. A normal, unique file: only demo.shop ships shop/js/cart.js.
(function () {
  "use strict";

  var cart = {};

  function add(sku, quantity) {
    cart[sku] = (cart[sku] || 0) + quantity;
    return cart[sku];
  }

  window.demoCart = { add: add };
})();
