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

// The inbox's total, bulk selection and the kanban's drag and drop. Each
// enhances a form or a link that works without it.
(function () {
  var total = document.getElementById("total");
  if (total && total.dataset.count) {
    var tries = 0;
    var ask = function () {
      fetch(total.dataset.count, { credentials: "same-origin" }).then(function (r) {
        return r.text().then(function (text) {
          total.textContent = text;
          var rows = document.getElementById("export-rows");
          if (rows) rows.textContent = rows.textContent.replace(/:.*$/, ": " + text);
          if (r.status === 202 && ++tries < 15) setTimeout(ask, 2000);
          else total.dataset.done = "1";
        });
      }).catch(function () {});
    };
    ask();
  }

  var bulk = document.getElementById("bulk"), all = document.getElementById("pick-all");
  if (bulk && all) {
    var picked = document.getElementById("picked"), hint = picked.textContent;
    var boxes = function () { return document.querySelectorAll('input[name=id][form=bulk]'); };
    var count = function () {
      var n = 0;
      boxes().forEach(function (b) { if (b.checked) n++; });
      picked.textContent = n ? picked.dataset.label + n : hint;
      bulk.classList.toggle("active", n > 0);
    };
    all.hidden = false;
    all.addEventListener("change", function () { boxes().forEach(function (b) { b.checked = all.checked; }); count(); });
    document.addEventListener("change", function (e) { if (e.target.matches && e.target.matches("input[name=id][form=bulk]")) count(); });
  }

  var board = document.getElementById("kanban");
  if (!board) return;
  var msg = document.getElementById("kanban-msg"), dragged = null;
  function counter(col, d) {
    var c = col.querySelector(".count");
    if (!c || /\+$/.test(c.textContent)) return;
    c.dataset.count = String(Number(c.dataset.count) + d);
    c.textContent = c.dataset.count;
  }
  // move posts the card's own form with the target stage, and moves the
  // card when the server took it.
  function move(card, col) {
    var from = card.closest(".column");
    if (from === col) return;
    var form = card.querySelector("form.move"), sel = form.querySelector("select");
    var old = sel.value;
    sel.value = col.dataset.stage;
    card.classList.add("busy");
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status !== 204) return r.text().then(function (t) { throw new Error(t || r.status); });
        col.querySelector(".cards").prepend(card);
        counter(from, -1); counter(col, 1);
        msg.hidden = true;
      })
      .catch(function (e) { sel.value = old; msg.textContent = e.message; msg.hidden = false; })
      .finally(function () { card.classList.remove("busy"); board.dataset.moved = String(Number(board.dataset.moved || 0) + 1); });
  }
  board.addEventListener("dragstart", function (e) {
    dragged = e.target.closest && e.target.closest(".kcard");
    if (!dragged) return;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.id);
    dragged.classList.add("dragging");
  });
  board.addEventListener("dragend", function () { if (dragged) dragged.classList.remove("dragging"); dragged = null; });
  board.addEventListener("dragover", function (e) {
    var col = e.target.closest && e.target.closest(".column");
    if (col && dragged) { e.preventDefault(); e.dataTransfer.dropEffect = "move"; col.classList.add("over"); }
  });
  board.addEventListener("dragleave", function (e) {
    var col = e.target.closest && e.target.closest(".column");
    if (col && !col.contains(e.relatedTarget)) col.classList.remove("over");
  });
  board.addEventListener("drop", function (e) {
    var col = e.target.closest && e.target.closest(".column");
    if (!col) return;
    e.preventDefault();
    col.classList.remove("over");
    var card = dragged || document.getElementById("card-" + e.dataTransfer.getData("text/plain"));
    if (card) move(card, col);
  });
  // With a script the card's form moves it in place too, without a reload.
  board.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList.contains("move")) return;
    var col = board.querySelector('.column[data-stage="' + form.querySelector("select").value + '"]');
    if (!col) return; // a stage not shown as a column: the form posts as it is
    e.preventDefault();
    move(form.closest(".kcard"), col);
  });
  board.dataset.ready = "1";
})();
