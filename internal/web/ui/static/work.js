// leadbox UI: tasks coming due — the number on «Мои задачи» and a desktop
// notification at each task's due time — and the duplicate hint of the
// «+ Лид» form. No libraries. Pages work without this file: the number is
// rendered by the server, the form posts and marks duplicates anyway.
"use strict";
(function () {
  // The duplicate hint: a moment after the phone or email is typed, the
  // server says which leads have that contact, by the webhook's rules.
  var phone = document.getElementById("new-phone"), email = document.getElementById("new-email"), hint = document.getElementById("dup-hint");
  if (phone && hint) {
    var timer = null, asked = "", seq = 0;
    var lookup = function () {
      var q = "phone=" + encodeURIComponent(phone.value) + "&email=" + encodeURIComponent(email ? email.value : "");
      if (q === asked) return;
      asked = q;
      var mine = ++seq;
      fetch(phone.dataset.dups + "?" + q, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw r.status; return r.text(); })
        .then(function (html) { if (mine === seq) hint.innerHTML = html; })
        .catch(function () { asked = ""; });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(lookup, 300); };
    phone.addEventListener("input", later);
    if (email) email.addEventListener("input", later);
    if (phone.value || (email && email.value)) later();
  }

  var badge = document.getElementById("due-badge");
  if (!badge || !window.fetch) return;

  // Permission for desktop notifications is asked only when the user
  // presses the button that offers it.
  var ask = document.getElementById("notify-ask"), on = document.getElementById("notify-on");
  if (ask && on && window.Notification && Notification.permission === "default") {
    ask.hidden = false;
    on.addEventListener("click", function () {
      var done = function () { ask.hidden = Notification.permission !== "default"; };
      var p = Notification.requestPermission(done);
      if (p && p.then) p.then(done);
    });
  }

  // Tasks due within the next minutes come with each poll; a timer per task
  // fires at its due time (by the server's clock), raises the number and
  // notifies once — once across tabs and reloads, by localStorage.
  var skew = 0, count = Number(badge.textContent) || 0, timers = {}, due = {};
  var notified = (function () { try { return JSON.parse(localStorage.getItem("leadbox.notified") || "[]"); } catch (_) { return []; } })();
  function seen(id) { return notified.indexOf(id) >= 0; }
  function remember(id) {
    notified.push(id);
    if (notified.length > 200) notified = notified.slice(-200);
    try { localStorage.setItem("leadbox.notified", JSON.stringify(notified)); } catch (_) {}
  }
  function show(n) { count = n; badge.textContent = n; badge.hidden = n === 0; }
  function notify(t) {
    if (seen(t.id)) return;
    remember(t.id);
    if (!window.Notification || Notification.permission !== "granted") return;
    try {
      var n = new Notification(badge.dataset.title || "leadbox", { body: t.text + (t.lead ? " — " + t.lead : ""), tag: "leadbox-task-" + t.id });
      n.onclick = function () { window.focus(); location.href = t.url; };
    } catch (_) {}
  }
  // fresh: it came due while the page was open; ring: notify (a task long
  // overdue when the page opens is in the number, not a notification).
  function comeDue(t, fresh, ring) {
    if (due[t.id]) return;
    due[t.id] = true;
    document.querySelectorAll('[data-task="' + t.id + '"]').forEach(function (el) { el.classList.add("overdue"); });
    if (fresh) show(count + 1);
    if (ring) notify(t);
  }
  function poll() {
    fetch("/tasks/due", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw r.status; return r.json(); })
      .then(function (a) {
        skew = a.now - Date.now() / 1000;
        due = {};
        show(a.count);
        a.tasks.forEach(function (t) {
          var wait = (t.due - (Date.now() / 1000 + skew)) * 1000;
          if (wait <= 0) { comeDue(t, false, a.now - t.due < 600); return; }
          clearTimeout(timers[t.id]);
          timers[t.id] = setTimeout(function () { delete timers[t.id]; comeDue(t, true, true); }, wait);
        });
        badge.dataset.ready = "1";
      })
      .catch(function () {});
  }
  poll();
  setInterval(poll, 60000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
})();
