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
  // The language switcher submits on change; the button stays for no-JS users.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
