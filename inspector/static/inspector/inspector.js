// The inspector's own behaviour on top of htmx (loaded only with htmx; without either the
// pages are plain links and forms).
//
// Sorting: a sort header sends the sort through the filter form, so a search typed just before
// the click travels in the same request (the form syncs its requests: the newest replaces one
// in flight), and the address bar, the form and the table always agree.
//
// Focus: the swap replaces the header that was pressed; focus goes back to its successor, so a
// keyboard user stays where they were instead of at the top of the page.
(function () {
  "use strict";

  var focusColumn = null;

  function sortHeader(event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return; // a new tab or window: the link's own URL
    }
    var link = event.target instanceof Element ? event.target.closest("a[data-sort]") : null;
    var form = document.getElementById("filters");
    var sort = form && form.elements.namedItem("sort");
    if (!link || !window.htmx || !(sort instanceof HTMLInputElement)) {
      return;
    }
    event.preventDefault();
    sort.value = link.dataset.sort;
    sort.disabled = false;
    focusColumn = link.dataset.column;
    form.requestSubmit();
  }

  function keepFocus() {
    if (focusColumn === null) {
      return;
    }
    var active = document.activeElement;
    if (active && active !== document.body) {
      focusColumn = null; // the user moved on (typing a search): leave focus where it is
      return;
    }
    var header = document.querySelector(
      '#results thead a[data-column="' + CSS.escape(focusColumn) + '"]'
    );
    focusColumn = null;
    if (header) {
      header.focus();
    }
  }

  document.addEventListener("click", sortHeader);
  document.addEventListener("htmx:afterSettle", keepFocus);
})();
