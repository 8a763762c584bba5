// Site script. A normal, unique file from STATICFILES_DIRS (static/).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.classList.add("js");
  });
})();
