/*
 * The 12345 agent's desk (yiwang/hotline/views/agent.py): keyboard shortcuts. The pages work
 * without this file; it only saves keystrokes.
 *
 * - Alt+1 / Alt+2 / Alt+3: choose the first, second or third category suggestion (#suggestions).
 * - Ctrl+Enter (⌘+Enter): 受理并派单; Ctrl+Shift+Enter: 仅受理 (the desk form).
 * - Choosing a suggestion empties the category search box; typing in the box clears the chosen
 *   suggestion, so that what is shown is what will be submitted (the box wins on the server too).
 */
(function () {
  "use strict";

  function suggestions() {
    return Array.prototype.slice.call(
      document.querySelectorAll('#suggestions input[type="radio"][name="category_code"]')
    );
  }

  function searchBox() {
    return document.getElementById("id_category_search");
  }

  function clearSearch() {
    var box = searchBox();
    if (box && box.value) {
      box.value = "";
      var info = document.getElementById("category-info");
      if (info) {
        info.textContent = "";
      }
    }
  }

  function pick(index) {
    var radio = suggestions()[index];
    if (!radio) {
      return false;
    }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function submitWith(buttonId) {
    var button = document.getElementById(buttonId);
    if (!button || !button.form) {
      return false;
    }
    if (typeof button.form.requestSubmit === "function") {
      button.form.requestSubmit(button);
    } else {
      button.click();
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      var digit = /^Digit([1-3])$/.exec(event.code || "");
      if (digit && pick(Number(digit[1]) - 1)) {
        event.preventDefault();
      }
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
      if (submitWith(event.shiftKey ? "desk-intake" : "desk-dispatch")) {
        event.preventDefault();
      }
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name === "category_code" && target.checked) {
      clearSearch();
    }
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.id === "id_category_search" && target.value.trim()) {
      suggestions().forEach(function (radio) {
        radio.checked = false;
      });
    }
  });
})();
