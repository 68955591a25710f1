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

// BMET Pathways: accessibility repairs on Chainlit's frontend (WCAG 2.1 AA; docs/chat.md,
// "Accessibility"). Chainlit 2.12 renders several icon-only buttons without a name, the welcome
// image without alt text, a menu list holding a div and a header link inside a button. Each
// repair below only adds what is missing, so it stays correct if Chainlit later fixes its side;
// tests/test_accessibility.py audits the result with axe-core in Chromium.
(function () {
  "use strict";
  var ANSWER = '[data-step-type="assistant_message"]';
  // Names for Chainlit's icon-only buttons, by id, then by a class Chainlit gives them.
  var BY_ID = {
    "sidebar-trigger-button": "Show or hide past chats",
    "search-chats-button": "Search past chats",
    "new-chat-button": "New chat",
    "chat-settings-open-modal": "Settings",
    "chat-submit": "Send message",
    "stop-button": "Stop the answer",
    "chat-profiles": "Chat profile",
  };
  var BY_CLASS = {
    "positive-feedback-off": "Helpful",
    "positive-feedback-on": "Marked helpful",
    "negative-feedback-off": "Not helpful",
    "negative-feedback-on": "Marked not helpful",
  };

  // A combobox is not named by its content (that is its value): it needs a label or aria-label.
  function hasName(el) {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) return true;
    if (el.getAttribute("role") === "combobox") {
      return el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    }
    return el.innerText.trim(); // shown text only: a command's label is hidden at phone width
  }

  // A name for an icon button Chainlit did not name: from its id or class, else from its
  // lucide icon ("lucide-copy" reads "Copy"); a password field's eye button is named for what it does.
  function iconName(button) {
    if (BY_ID[button.id]) return BY_ID[button.id];
    if (button.id.indexOf("command-") === 0) return button.id.slice("command-".length); // phone width hides the text
    for (var cls in BY_CLASS) if (button.classList.contains(cls)) return BY_CLASS[cls];
    var icon = button.querySelector("svg[class*='lucide-']");
    var match = icon && /lucide-([a-z0-9-]+)/.exec(icon.getAttribute("class").replace(/lucide-icon\b/, ""));
    if (match) return match[1].replace(/-/g, " ").replace(/^./, function (c) { return c.toUpperCase(); });
    if (button.closest("form") && button.parentElement.querySelector("input[type=password],input[type=text]")) {
      return "Show or hide the password";
    }
    return "";
  }

  function nameButtons() {
    document.querySelectorAll("button, [role=button], [role=combobox]").forEach(function (b) {
      if (hasName(b)) return;
      // a combobox's icon is its chevron, not its purpose: only a known id names one
      var name = b.getAttribute("role") === "combobox" ? BY_ID[b.id] : iconName(b);
      if (name) b.setAttribute("aria-label", name);
    });
  }

  // A past chat's options menu (rename, delete) is a div inside the chat's button, inside its
  // link, and opens on a mouse click only. As a button it would nest a control in a control;
  // it is hidden from assistive technology instead (a known gap, docs/chat.md).
  function threadOptions() {
    document.querySelectorAll("#thread-options:not([aria-hidden])").forEach(function (d) {
      d.setAttribute("aria-hidden", "true");
    });
  }

  // Images: the welcome icon repeats the profile name shown beside it (decorative); a chart's
  // alt text states its figures, read from the caption and the table sent with it.
  function images() {
    document.querySelectorAll("img:not([alt])").forEach(function (img) {
      img.setAttribute("alt", "");
    });
    // once written from the table the alt text is final (the figures do not change)
    document.querySelectorAll(ANSWER + " img.inline-image:not([data-alt-from-table])").forEach(function (img) {
      var message = img.closest(ANSWER);
      var table = message.querySelector("table");
      var caption = message.querySelector("[role=article]");
      var text = "Chart" + (caption ? ": " + caption.innerText.trim() : "");
      if (table) {
        var rows = Array.prototype.map.call(table.rows, function (row) {
          return Array.prototype.map.call(row.cells, function (c) { return c.innerText.trim(); }).join(", ");
        });
        text += " Figures: " + rows.join("; ") + ".";
        img.setAttribute("data-alt-from-table", "");
      }
      if (img.getAttribute("alt") !== text) img.setAttribute("alt", text);
    });
  }

  // Citation markers read "source 1", not "left bracket 1 right bracket".
  function citations() {
    document.querySelectorAll("a.element-link").forEach(function (a) {
      var match = /^\[(\d+)\]$/.exec(a.textContent.trim());
      var label = match ? "source " + match[1] : "";
      if (label && a.getAttribute("aria-label") !== label) a.setAttribute("aria-label", label);
    });
  }

  // Structure: a list holding no list items (the sidebar's menu holding a div, the toasts'
  // list of status messages) is not a list; a header link is wrapped
  // in a button (two nested controls): the button keeps the focus and follows the link.
  function structure() {
    document.querySelectorAll("ul, ol").forEach(function (list) {
      if (list.hasAttribute("role") || !list.children.length) return;
      var items = Array.prototype.some.call(list.children, function (c) {
        return c.tagName === "LI" && (!c.hasAttribute("role") || c.getAttribute("role") === "listitem");
      });
      if (!items) list.setAttribute("role", "none");
    });
    document.querySelectorAll("button a[href]").forEach(function (a) {
      var button = a.closest("button");
      button.setAttribute("data-href", a.getAttribute("href"));
      a.removeAttribute("href");
    });
    // An aria-controls naming an element that is not there: a resize handle's panel carries the
    // id as data-panel-id; a closed combobox names its list before the list exists.
    document.querySelectorAll("[aria-controls]").forEach(function (el) {
      var id = el.getAttribute("aria-controls");
      if (document.getElementById(id)) return;
      var panel = document.querySelector('[data-panel-id="' + CSS.escape(id) + '"]');
      if (panel) {
        panel.id = id;
        return;
      }
      el.removeAttribute("aria-controls");
      // a combobox whose list is not there is collapsed (the multi-select says "expanded")
      if (el.getAttribute("role") === "combobox") el.setAttribute("aria-expanded", "false");
    });
    // The date picker's popover trigger is a div around a button: the button gets the popup state.
    document.querySelectorAll("div[aria-haspopup]:not([role])").forEach(function (div) {
      var button = div.querySelector("button");
      if (!button) return;
      ["aria-haspopup", "aria-expanded", "aria-controls"].forEach(function (name) {
        if (div.hasAttribute(name)) button.setAttribute(name, div.getAttribute(name));
        div.removeAttribute(name);
      });
    });
  }

  // Form controls Chainlit leaves unnamed: a settings slider (named by its label), the remove
  // buttons on chosen options (named "X"), and plan checkboxes (named by their step).
  function controls() {
    document.querySelectorAll("[role=slider]:not([aria-label])").forEach(function (thumb) {
      var root = thumb.closest("[id]");
      var label = root && document.querySelector('label[for="' + CSS.escape(root.id) + '"]');
      if (label && label.firstChild) thumb.setAttribute("aria-label", label.firstChild.textContent.trim());
    });
    document.querySelectorAll('button[aria-label="X"]').forEach(function (b) {
      b.setAttribute("aria-label", "Remove " + b.parentElement.textContent.trim());
    });
    document.querySelectorAll("li > input[type=checkbox]:not([aria-label])").forEach(function (box) {
      box.setAttribute("aria-label", box.parentElement.textContent.trim().slice(0, 160));
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("button[data-href]");
    if (button) window.location.assign(button.getAttribute("data-href"));
  });

  // Tab out of the settings' "Document types" box (a cmdk multi-select) used to land on the
  // dialog itself, so the keyboard never reached the date, the number of sources or Confirm: the
  // box removes its suggestion list when it loses focus, and the dialog's focus trap (Radix
  // FocusScope), seeing a removed node while the browser is between blur and focus, pulls the
  // focus back to the dialog. Moved by script, the focus lands before the trap looks.
  var TABBABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), " +
    "select:not([disabled]), textarea:not([disabled]), [tabindex]";

  function tabbables(scope) {
    return Array.prototype.filter.call(scope.querySelectorAll(TABBABLE), function (el) {
      return el.tabIndex >= 0 && !el.closest("[cmdk-list]") && el.getClientRects().length > 0;
    });
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) return;
    if (!input || !input.matches || !input.matches("input[cmdk-input]")) return;
    var order = tabbables(input.closest("[role=dialog]") || document.body);
    var next = order[order.indexOf(input) + (event.shiftKey ? -1 : 1)];
    if (!next) return; // the first or last control: the dialog's own trap wraps around
    event.preventDefault();
    next.focus();
  }, true);

  // Screen readers hear an answer once, when it is complete: the streamed tokens are not
  // announced (Chainlit's messages are not a live region); when the run ends the new answers'
  // text is put in a polite live region, which exists from the start so that it is heard.
  var live = null;
  var baseline = -1; // answers on the page when the person last sent something; -1: none pending

  function liveRegion() {
    if (!live && document.body) {
      live = document.createElement("div");
      live.id = "answer-announcer";
      live.className = "visually-hidden";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      live.setAttribute("aria-atomic", "true");
      document.body.appendChild(live);
    }
    return live;
  }

  function sent() {
    baseline = document.querySelectorAll(ANSWER).length;
  }
  document.addEventListener("click", function (event) {
    var t = event.target && event.target.closest && event.target.closest("#chat-submit, [id^='starter-'], button");
    if (t && (t.id === "chat-submit" || t.id.indexOf("starter-") === 0 || t.closest(ANSWER))) sent();
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && event.target && event.target.id === "chat-input") sent();
  }, true);

  // Complete: no stop button, and the answers have stopped changing for a moment (a short
  // reply can come and go between two checks, so the stop button is not always seen).
  var settle = null;
  function announce() {
    if (baseline < 0 || document.getElementById("stop-button")) return;
    var answers = Array.prototype.slice.call(document.querySelectorAll(ANSWER), baseline);
    if (!answers.length) return;
    window.clearTimeout(settle);
    settle = window.setTimeout(function () {
      var region = liveRegion();
      if (baseline < 0 || document.getElementById("stop-button") || !region) return;
      var now = Array.prototype.slice.call(document.querySelectorAll(ANSWER), baseline);
      region.textContent = now.map(function (m) {
        var body = m.querySelector(".message-content") || m;
        return body.innerText.trim();
      }).join("\n");
      baseline = -1;
    }, 600);
  }

  function repair() {
    nameButtons();
    threadOptions();
    images();
    citations();
    structure();
    controls();
    liveRegion();
    announce();
  }

  // Repairs run in the observer's callback itself, before the next paint, so that nothing ever
  // shows (or is audited) unrepaired; each only touches what is still missing.
  new MutationObserver(repair).observe(document.documentElement, { childList: true, subtree: true });
})();
