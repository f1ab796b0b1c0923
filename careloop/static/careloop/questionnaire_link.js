/* A patient's questionnaire link (questionnaires/link_answer.html): nothing typed is lost.
 *
 * Every change is kept at once in this phone's localStorage, then sent to the server's draft a moment
 * later. If the network is down, the copy waits and is sent when the connection returns (or on the next
 * visit: the page puts the waiting copy back into the form). The server answers with the questions the
 * answers now ask, so a question that does not apply is hidden; its rule is evaluated by the same code as
 * on submit (enablewhen.py). On the thank-you page the copy is deleted. A static file: the CSP allows
 * no inline script. */
(function () {
  var done = document.getElementById("link-done");
  if (done) {
    if (done.dataset.storageKey) localStorage.removeItem(done.dataset.storageKey);
    return;
  }
  var form = document.getElementById("questionnaire-form");
  if (!form) return;
  var key = form.dataset.storageKey;
  var status = document.getElementById("save-status");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timer = null;
  var retry = null;
  var closed = false;
  // One save at a time: two at once (the browser's own "online" and a change, say) could finish out of
  // order, and an older failure would then cover a newer success. A save asked for meanwhile runs after.
  var inFlight = false;
  var again = false;

  function values() {
    var result = {};
    form.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.name.indexOf("item-") !== 0) return;
      if (el.type === "checkbox") {  // several choices: every ticked one
        result[el.name] = (result[el.name] || []).concat(el.checked ? [el.value] : []);
      } else if (el.type === "radio") {
        if (el.checked) result[el.name] = el.value;
        else if (!(el.name in result)) result[el.name] = "";
      } else {
        result[el.name] = el.value;
      }
    });
    return result;
  }

  function restore(saved) {
    Object.keys(saved).forEach(function (name) {
      form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
        if (el.type === "checkbox") el.checked = saved[name].indexOf(el.value) !== -1;
        else if (el.type === "radio") el.checked = el.value === saved[name];
        else el.value = saved[name];
      });
    });
  }

  function keep(pending) {
    try {
      localStorage.setItem(key, JSON.stringify({ values: values(), pending: pending }));
    } catch (e) { /* private mode or full storage: the server's draft still keeps the answers */ }
  }

  function show(text) { if (status) status.textContent = text; }

  function applyEnabled(enabled) {
    var on = {};
    enabled.forEach(function (id) { on[id] = true; });
    form.querySelectorAll(".q-item[data-link-id]").forEach(function (row) {
      var off = !on[row.dataset.linkId];
      row.classList.toggle("q-disabled", off);
      row.hidden = off;
    });
  }

  function save() {
    timer = null;
    if (closed) return;
    if (inFlight) { again = true; return; }
    inFlight = true;
    var current = values();
    var sent = JSON.stringify(current);
    var saved = false;
    var body = new FormData();
    Object.keys(current).forEach(function (name) {
      [].concat(current[name]).forEach(function (value) { body.append(name, value); });
    });
    fetch(form.dataset.saveUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf },
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 410 || response.status === 404) {
        // Closed only when the server says so ({"state": ...}); a reply that is not the server's own
        // (a proxy's or a network switch's page) is a failed save, tried again like any other.
        return response.json().then(function (reply) {
          if (!reply || !reply.state) throw new Error("not the server's reply");
          closed = true;
          show(form.dataset.textClosed);
          return null;
        });
      }
      if (!response.ok) throw new Error("save failed: " + response.status);
      return response.json();
    }).then(function (reply) {
      if (!reply) return;
      saved = true;
      keep(JSON.stringify(values()) !== sent);  // still pending if the patient answered meanwhile
      show(form.dataset.textSaved + " " + reply.saved_at);
      applyEnabled(reply.enabled);
    }).catch(function () {
      show(form.dataset.textOffline);
      if (!retry) retry = setTimeout(function () { retry = null; save(); }, 15000);
    }).then(function () {
      inFlight = false;
      // A save asked for meanwhile is needed only if it has something new to send.
      var asked = again;
      again = false;
      if (asked && (!saved || JSON.stringify(values()) !== sent)) save();
    });
  }

  function changed() {
    keep(true);
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  try {
    var copy = JSON.parse(localStorage.getItem(key) || "null");
    if (copy && copy.pending) { restore(copy.values); save(); }
  } catch (e) { /* an unreadable copy is ignored; the server's draft is on the page */ }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", function () { if (!closed) save(); });
  form.addEventListener("submit", function () { keep(true); });
  // The rows the answers disable are hidden from the start, as the server decided when it drew them.
  form.querySelectorAll(".q-item.q-disabled").forEach(function (row) { row.hidden = true; });
})();
