// leadbox UI: copy buttons, confirmations and the inbox's live updates.
// No libraries; everything works without this file except live updates.
"use strict";
(function () {
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-copy]");
    if (!b) return;
    var el = document.getElementById(b.dataset.copy);
    var text = el.value !== undefined && el.tagName === "INPUT" ? el.value : el.textContent;
    var done = function () { b.dataset.label = b.dataset.label || b.textContent; b.textContent = "✓"; setTimeout(function () { b.textContent = b.dataset.label; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(el, text); done(); });
    } else { fallback(el, text); done(); }
  });
  function fallback(el, text) {
    var t = document.createElement("textarea");
    t.value = text; document.body.appendChild(t); t.select();
    try { document.execCommand("copy"); } catch (_) {}
    document.body.removeChild(t);
  }
  document.addEventListener("submit", function (e) {
    var msg = (e.submitter && e.submitter.dataset.confirm) || e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
  document.querySelectorAll("[data-back]").forEach(function (i) { i.value = location.pathname + location.search; });

  var table = document.getElementById("leads");
  if (!table || !window.EventSource) return;
  var tbody = table.tBodies[0], notice = document.getElementById("live");
  var live = table.dataset.live === "1", query = table.dataset.query, fresh = 0, timer = null, busy = false;
  function topId() { var r = tbody.querySelector("tr[data-id]"); return r ? r.dataset.id : "0"; }
  function show(n) {
    fresh += n;
    if (!fresh) return;
    notice.hidden = false;
    notice.textContent = table.dataset.new + fresh;
    if (!live) { var a = document.createElement("a"); a.href = "/?" + query; a.textContent = " ↑"; notice.appendChild(a); }
  }
  function pull() {
    if (busy) { schedule(); return; }
    busy = true;
    fetch("/inbox/new?after=" + topId() + (query ? "&" + query : ""), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw r.status; return r.text(); })
      .then(function (html) {
        var t = document.createElement("tbody"); t.innerHTML = html.trim();
        var rows = t.querySelectorAll("tr[data-id]");
        if (!rows.length) return;
        if (live) {
          for (var i = rows.length - 1; i >= 0; i--) { rows[i].classList.add("fresh"); tbody.insertBefore(rows[i], tbody.firstChild); }
          var empty = document.querySelector(".empty"); if (empty) empty.remove();
        }
        show(rows.length);
      })
      .catch(function () {})
      .finally(function () { busy = false; });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(pull, 250); }
  var es = new EventSource("/events"), opened = false;
  es.addEventListener("lead", schedule);
  es.addEventListener("open", function () { if (opened && live) schedule(); opened = true; });
  notice.addEventListener("click", function (e) { if (e.target.tagName !== "A") { notice.hidden = true; fresh = 0; } });
  table.dataset.ready = "1";
})();

// A source that went quiet: the banner admins see on every page is also a
// browser notification, once per alarm, where the admin has allowed them;
// the banner asks once, on a click, as browsers require.
(function () {
  var box = document.getElementById("quiet-alarm");
  if (!box || !window.Notification) return;
  var seen = {};
  try { seen = JSON.parse(localStorage.getItem("leadbox.quiet") || "{}"); } catch (e) {}
  function notify() {
    var items = box.querySelectorAll("[data-quiet]");
    for (var i = 0; i < items.length; i++) {
      var key = items[i].dataset.quiet;
      if (seen[key]) continue;
      seen[key] = 1;
      new Notification(box.dataset.title, { body: items[i].textContent, tag: "quiet-" + key });
    }
    try { localStorage.setItem("leadbox.quiet", JSON.stringify(seen)); } catch (e) {}
  }
  if (Notification.permission === "granted") { notify(); return; }
  if (Notification.permission !== "default") return;
  box.addEventListener("click", function (e) {
    if (e.target.tagName === "A") return;
    Notification.requestPermission().then(function (p) { if (p === "granted") notify(); });
  }, { once: true });
})();
