// jenkins2flow catalog UI: small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Repeated groups: add an item from the list's <template>, remove an item, without a round trip.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.add, button.remove");
    if (!button) return;
    if (button.classList.contains("add")) {
      var list = button.closest("[data-list]");
      var template = list.querySelector(":scope > template");
      var items = list.querySelector(":scope > .items");
      var path = list.getAttribute("data-list");
      var next = Number(list.getAttribute("data-next") || items.children.length);
      while (document.querySelector('[name="' + path + "." + next + '.__item"]')) next += 1;
      list.setAttribute("data-next", String(next + 1));
      var html = template.innerHTML.split(path + ".__new__").join(path + "." + next);
      items.insertAdjacentHTML("beforeend", html);
      var added = items.lastElementChild;
      var first = added && added.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    } else {
      button.closest("fieldset.item").remove();
    }
    event.preventDefault();
  });

  // Optional groups (e.g. a pipeline's schedule): show the fields when the box is ticked.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches("input[data-toggles]")) {
      var body = document.getElementById(box.getAttribute("data-toggles"));
      if (body) body.classList.toggle("off", !box.checked);
    }
    var form = box.form;
    if (form && form.hasAttribute("data-autosubmit") && box.tagName === "SELECT") form.submit();
  });

  // Publish / retire / roll back ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Tab in code editors inserts spaces instead of leaving the field.
  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (event.key !== "Tab" || !area.hasAttribute || !area.hasAttribute("data-tab") || event.shiftKey) return;
    event.preventDefault();
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + "    " + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + 4;
  });
})();
