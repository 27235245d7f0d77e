// Intake wizard and case page: progressive enhancement only. Without this file
// every question is shown and uploads are plain form posts.
(function () {
  "use strict";

  // --- Follow-up questions: shown only when their trigger has a matching answer.
  function currentValues(form, name) {
    var values = [];
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    inputs.forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { values.push(input.value); }
      } else if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.selectedOptions, function (o) { values.push(o.value); });
      } else if (input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function refreshFollowUps(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (wrap) {
      var wanted = (wrap.getAttribute("data-show-values") || "").split(" ");
      var have = currentValues(form, wrap.getAttribute("data-show-if"));
      var show = have.some(function (v) { return wanted.indexOf(v) !== -1; });
      wrap.hidden = !show;
    });
  }

  // --- Conditions: show only the chosen area's conditions.
  function filterConditions(form) {
    var category = form.querySelector("#id_category");
    var condition = form.querySelector("#id_condition");
    if (!category || !condition) { return; }
    var label = category.selectedOptions.length ? category.selectedOptions[0].textContent.trim() : "";
    var groups = condition.querySelectorAll("optgroup");
    var keep = false;
    groups.forEach(function (group) {
      var match = group.label.trim() === label;
      group.hidden = !match;
      group.disabled = !match;
      if (match && condition.selectedOptions.length && condition.selectedOptions[0].parentNode === group) { keep = true; }
    });
    if (!keep && groups.length) { condition.value = ""; }
  }

  document.querySelectorAll("form.intake-form, form[action*='/intake/step/']").forEach(function (form) {
    refreshFollowUps(form);
    filterConditions(form);
    form.addEventListener("change", function (event) {
      refreshFollowUps(form);
      if (event.target && event.target.id === "id_category") { filterConditions(form); }
    });
  });

  // Move focus to the error summary so screen readers announce it.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }

  // --- Uploads with a progress bar (XHR); the server answers JSON to XHR.
  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    var status = form.querySelector("[data-upload-status]");
    var bar = form.querySelector("[data-upload-progress]");
    var message = form.querySelector("[data-upload-message]");
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      status.classList.remove("d-none");
      bar.value = 0;
      bar.textContent = "0%";
      message.textContent = form.getAttribute("data-uploading-text") || "";
      if (button) { button.disabled = true; }
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var pct = Math.round((e.loaded / e.total) * 100);
          bar.value = pct;
          bar.textContent = pct + "%";
          message.textContent = pct + "%";
        }
      });
      function done(ok, text) {
        if (button) { button.disabled = false; }
        message.textContent = text;
        message.className = "small mt-1 " + (ok ? "text-success" : "text-danger");
        if (ok) { window.location.reload(); }
      }
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (body && typeof body.message === "string") {
          done(Boolean(body.ok) && xhr.status < 400, body.message);
        } else {
          done(false, form.getAttribute("data-error-text") || "Upload failed (" + xhr.status + ").");
        }
      });
      xhr.addEventListener("error", function () {
        done(false, form.getAttribute("data-error-text") || "Upload failed.");
      });
      xhr.send(new FormData(form));
    });
  });
})();
