// The navigation folds into a "Menu" button on narrow screens (phones). Without this script
// every link shows, wrapped: nothing depends on it.
(function () {
  "use strict";

  var NARROW = window.matchMedia("(max-width: 40rem)");

  function setUp() {
    var toggle = document.querySelector(".menu-toggle");
    var links = document.getElementById("site-links");
    if (!toggle || !links) {
      return;
    }
    function fold(folded) {
      toggle.setAttribute("aria-expanded", folded ? "false" : "true");
      links.classList.toggle("folded", folded);
    }
    toggle.hidden = false;
    fold(NARROW.matches);
    toggle.addEventListener("click", function () {
      fold(toggle.getAttribute("aria-expanded") === "true");
    });
    NARROW.addEventListener("change", function (event) { fold(event.matches); });
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
