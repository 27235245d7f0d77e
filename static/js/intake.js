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

  // --- Uploads: picking files uploads them at once. The request itself is htmx's
  // (hx-post on the form, templates/intake/_upload_form.html and wizard/records.html;
  // the answer is the document list, swapped in place). This adds the progress bar,
  // empties the pickers once the server has the files, and holds a submit pressed
  // while an upload is still running until it has finished, so nothing is sent twice
  // and nothing is lost. Without JavaScript the files go with the form's own submit.
  function chosenFiles(form) {
    var count = 0;
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      count += input.files ? input.files.length : 0;
    });
    return count;
  }

  document.querySelectorAll("form[data-upload-form]").forEach(function (form) {
    if (!window.htmx) { return; }
    var status = form.querySelector("[data-upload-status]");
    var bar = form.querySelector("[data-upload-progress]");
    var message = form.querySelector("[data-upload-message]");
    var busy = false;
    var held = null;
    form.classList.add("upload-enhanced");

    function say(text, tone) {
      message.textContent = text || "";
      message.className = "small mb-2" + (tone ? " text-" + tone : "");
    }
    function setBar(pct) {
      // Upload progress, then the (small) answer's: never let the bar go back.
      var value = Math.max(Number(bar.value) || 0, pct);
      bar.value = value;
      bar.textContent = value + "%";
    }
    function release() {
      if (!held) { return; }
      var submitter = held.submitter;
      held = null;
      if (form.requestSubmit) {
        if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
      } else {
        form.submit();
      }
    }

    form.addEventListener("htmx:beforeRequest", function (event) {
      if (event.target !== form) { return; }
      if (!chosenFiles(form)) { event.preventDefault(); return; }
      busy = true;
      status.hidden = false;
      bar.value = 0;
      setBar(0);
      say(form.getAttribute("data-uploading-text"));
    });
    form.addEventListener("htmx:xhr:progress", function (event) {
      var d = event.detail || {};
      if (d.lengthComputable && d.total) { setBar(Math.round((d.loaded / d.total) * 100)); }
    });
    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.target !== form) { return; }
      busy = false;
      if (event.detail && event.detail.successful) {
        // The server has every file (stored or refused by name in the list): pick afresh.
        form.querySelectorAll('input[type="file"]').forEach(function (input) { input.value = ""; });
        setBar(100);
        var target = document.querySelector(form.getAttribute("hx-target"));
        var refused = target && target.querySelector("[role=alert]");
        say(form.getAttribute(refused ? "data-refused-text" : "data-done-text"),
            refused ? "danger" : "success");
      } else {
        // The files are still chosen: a submit (held or later) carries them.
        status.hidden = true;
        say(form.getAttribute("data-error-text"), "danger");
      }
      release();
    });
    form.addEventListener("submit", function (event) {
      if (!busy) { return; }
      event.preventDefault();
      held = { submitter: event.submitter || null };
      say(form.getAttribute("data-waiting-text"));
    });
  });
})();
