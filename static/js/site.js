// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Send the browser's time zone so times show in the viewer's zone.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + ";path=/;max-age=31536000;samesite=lax";
    }
  } catch (e) { /* old browser: the server falls back to UTC */ }
  // Time-zone pickers with nothing chosen yet preselect the browser's zone (a legacy
  // name such as Asia/Calcutta is mapped to the listed one through data-zone-aliases).
  document.querySelectorAll("select[data-guess-zone]").forEach(function (select) {
    if (select.value) { return; }
    try {
      var guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var aliases = JSON.parse(select.getAttribute("data-zone-aliases") || "{}");
      guess = aliases[guess] || guess;
      if (guess && select.querySelector('option[value="' + guess.replace(/"/g, "") + '"]')) {
        select.value = guess;
      }
    } catch (e) { /* no guess: the patient chooses */ }
  });
  // An error summary's links take keyboard focus to the field itself (a fragment link
  // alone only scrolls); for a group of radios or boxes, to its first choice.
  document.querySelectorAll("[role=alert] a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      var field = target.matches("fieldset") ? target.querySelector("input, select, textarea") : target;
      event.preventDefault();
      (field || target).focus();
      target.scrollIntoView({block: "center"});
    });
  });
  // The language switcher submits on change; the button stays for no-JS users.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
