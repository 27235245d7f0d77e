/* Warns before an idle session ends and offers to keep it (core/sessions.py).
 *
 * The server says how many seconds are left when the page loads. Shortly before
 * they run out, the page asks the server again (another tab may have been busy),
 * then shows the warning with a countdown; "Stay signed in" posts to the
 * keep-alive view. At zero it goes to the "signed out" page. No inline script:
 * every number and URL comes from data attributes, every word from the template.
 */
(function () {
  "use strict";
  var box = document.getElementById("session-timeout");
  if (!box || !window.fetch) { return; }
  var form = box.querySelector("form[data-session-keepalive]");
  var button = form.querySelector("button");
  var countdown = box.querySelector("[data-session-countdown]");
  var url = box.getAttribute("data-keepalive-url");
  var endedUrl = box.getAttribute("data-ended-url");
  var warnSeconds = parseInt(box.getAttribute("data-warn"), 10) || 120;
  var deadline = Date.now() + (parseInt(box.getAttribute("data-remaining"), 10) || 0) * 1000;
  var checking = false;
  var checkedForThisDeadline = false;

  function secondsLeft() { return Math.max(0, Math.round((deadline - Date.now()) / 1000)); }

  function format(seconds) {
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function adopt(remaining) {
    deadline = Date.now() + remaining * 1000;
    if (remaining > warnSeconds) {
      checkedForThisDeadline = false;
      box.hidden = true;
    }
  }

  function ended() { window.location.assign(endedUrl); }

  function ask(method) {
    checking = true;
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method === "POST") {
      options.body = new FormData(form);
      options.headers["X-CSRFToken"] = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    }
    return fetch(url, options).then(function (response) {
      return response.json().then(function (data) { return data.remaining || 0; });
    }).then(function (remaining) {
      checking = false;
      if (remaining <= 0) { ended(); return; }
      adopt(remaining);
    }, function () { checking = false; });
  }

  function show() {
    if (!box.hidden) { return; }
    box.hidden = false;
    button.focus();
  }

  function tick() {
    var left = secondsLeft();
    countdown.textContent = format(left);
    if (checking) { return; }
    if (left <= warnSeconds && !checkedForThisDeadline) {
      // Another tab may have kept the session alive: ask before warning.
      checkedForThisDeadline = true;
      ask("GET").then(function () { if (secondsLeft() <= warnSeconds) { show(); } });
      return;
    }
    if (left <= 0) { ask("GET"); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask("POST").then(function () { box.hidden = true; });
  });
  window.setInterval(tick, 1000);
}());
