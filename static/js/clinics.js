// Directory and clinic portal: progressive enhancement only; every page works without it.
(function () {
  "use strict";

  // Tell the user at once when a chosen file is over the limit, instead of after a long
  // upload. The server checks again (and checks the content): this is only a courtesy.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var messageId = input.id + "-size-error";
    input.addEventListener("change", function () {
      var old = document.getElementById(messageId);
      if (old) { old.remove(); }
      input.removeAttribute("aria-invalid");
      var file = input.files && input.files[0];
      if (!file || !limit) { return; }
      var problem = null;
      if (file.size === 0) {
        problem = input.getAttribute("data-empty-message");
      } else if (file.size > limit) {
        problem = input.getAttribute("data-too-big-message");
      }
      if (!problem) { return; }
      var note = document.createElement("p");
      note.id = messageId;
      note.className = "field-error mt-1";
      note.setAttribute("role", "alert");
      note.textContent = problem;
      input.setAttribute("aria-invalid", "true");
      input.insertAdjacentElement("afterend", note);
      input.value = "";
    });
  });

  // Keep the directory's address short and shareable: empty filters are not sent.
  document.querySelectorAll("#directory-filters, #sort-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        if (field.name && field.value === "") { field.disabled = true; }
      });
    });
  });

  // The directory's "Clear filters" keeps the sort the visitor chose.
  var clear = document.querySelector("[data-clear-filters]");
  if (clear) {
    clear.addEventListener("click", function (event) {
      var form = clear.closest("form");
      if (!form) { return; }
      event.preventDefault();
      form.querySelectorAll("input, select").forEach(function (field) {
        if (field.name === "sort" || field.type === "hidden" || field.type === "submit") { return; }
        if (field.tagName === "SELECT") {
          Array.prototype.forEach.call(field.options, function (o) { o.selected = false; });
          if (!field.multiple && field.options.length) { field.options[0].selected = true; }
        } else if (field.type === "checkbox" || field.type === "radio") {
          field.checked = false;
        } else {
          field.value = "";
        }
      });
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  }
})();
