// BMET Pathways: keep the source panel closed until the reader opens a source.
//
// Since Chainlit 2.11 the side panel opens by itself whenever an answer with side elements
// arrives, listing every source of the chat at once (Chainlit issue #2979; the fix, PR #2982, is
// not released in 2.12). On a phone that panel is a sheet covering the chat after every answer.
// This script closes a panel that opened, or changed, without a click on a source marker.
(function () {
  "use strict";
  var lastClick = 0;
  var shown = "";

  document.addEventListener(
    "click",
    function (event) {
      if (event.target && event.target.closest && event.target.closest("a.element-link")) {
        lastClick = Date.now();
      }
    },
    true
  );

  function close(title) {
    var button = title.querySelector("button");
    if (button) {
      button.click(); // the panel's back arrow (wide screens)
    } else {
      // the sheet used on narrow screens closes on Escape
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    }
  }

  function check() {
    var title = document.getElementById("side-view-title");
    if (!title) {
      shown = "";
      return;
    }
    var content = document.getElementById("side-view-content");
    var signature = title.textContent + "|" + (content ? content.childElementCount : 0);
    if (signature === shown) return;
    shown = signature;
    if (Date.now() - lastClick > 1500) close(title);
  }

  new MutationObserver(check).observe(document.documentElement, { childList: true, subtree: true });
})();
