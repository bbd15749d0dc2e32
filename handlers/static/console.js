// Operator console: saves the operator time while the caller talks. The
// form works without this script; the script only adds the county shown as
// the address is typed, the duplicate warning before saving, Ctrl+Enter in
// text areas, and hides the inquiry answer unless the call is an inquiry.
// Everything it writes into the page goes through textContent (no HTML).
(function () {
  "use strict";
  var form = document.getElementById("intake");
  if (!form) return;

  function debounce(fn, ms) {
    var t;
    return function () { clearTimeout(t); t = setTimeout(fn, ms); };
  }
  function field(name) { return form.elements[name]; }

  // The county of the respondent's address, as typed.
  var addr = field("respondent.address");
  var county = document.getElementById("f-county");
  var lastAddr = null;
  var resolve = debounce(function () {
    var v = addr.value.trim();
    if (v === lastAddr) return;
    lastAddr = v;
    if (!v) { county.textContent = ""; return; }
    fetch("/api/v1/divisions/resolve?address=" + encodeURIComponent(v), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || addr.value.trim() !== v) return;
        county.textContent = d.name ? "所属区县：" + d.name : "区县未能确定（" + d.reason + "），保存后由指挥中心分派";
        county.className = d.name ? "hint ok" : "hint";
      })
      .catch(function () {});
  }, 250);
  if (addr && county) { addr.addEventListener("input", resolve); resolve(); }

  // Likely duplicates: same phone, same respondent, still open.
  var box = document.getElementById("dup-box");
  var lastDup = null;
  var checkDup = debounce(function () {
    var phone = field("complainant.phone").value.trim();
    var name = field("respondent.name").value.trim();
    var key = phone + "|" + name;
    if (key === lastDup) return;
    lastDup = key;
    if (!phone || !name) return;
    fetch("/api/v1/duplicates", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ phone: phone, respondent_name: name })
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || lastDup !== key) return;
        while (box.firstChild) box.removeChild(box.firstChild);
        if (!d.items || !d.items.length) return;
        var div = document.createElement("div");
        div.className = "warn"; div.id = "dups"; div.setAttribute("role", "alert");
        var p = document.createElement("p");
        p.textContent = "可能重复：同一号码近 30 天内对同一商家还有 " + d.items.length + " 件未办结的案件。";
        div.appendChild(p);
        var ul = document.createElement("ul");
        d.items.forEach(function (it) {
          var li = document.createElement("li");
          li.textContent = it.id + " · " + (it.respondent_name || "") + " · " + (it.title || "");
          ul.appendChild(li);
        });
        div.appendChild(ul);
        var label = document.createElement("label");
        label.className = "choice";
        var cb = document.createElement("input");
        cb.type = "checkbox"; cb.name = "dup_ack"; cb.value = "1"; cb.id = "f-dupack";
        label.appendChild(cb);
        label.appendChild(document.createTextNode(" 已核对，不是重复，仍然登记"));
        div.appendChild(label);
        box.appendChild(div);
      })
      .catch(function () {});
  }, 300);
  ["complainant.phone", "respondent.name"].forEach(function (n) {
    var el = field(n);
    if (el) { el.addEventListener("input", checkDup); el.addEventListener("change", checkDup); }
  });

  // The answer box matters only for an inquiry.
  var answerBox = document.getElementById("answer-box");
  function showAnswer() {
    var k = form.querySelector('input[name="kind"]:checked');
    if (answerBox) answerBox.hidden = !(k && k.value === "inquiry");
  }
  Array.prototype.forEach.call(form.querySelectorAll('input[name="kind"]'), function (r) {
    r.addEventListener("change", showAnswer);
  });
  showAnswer();

  // Switching hotline applies that hotline's usual type, category and
  // problem to the fields the operator has not set by hand.
  var touched = {};
  ["kind", "subject.category", "subject.problem"].forEach(function (n) {
    Array.prototype.forEach.call(form.querySelectorAll('[name="' + n + '"]'), function (el) {
      el.addEventListener("change", function (e) { if (e.isTrusted) touched[n] = true; });
    });
  });
  var channel = field("channel");
  if (channel) channel.addEventListener("change", function () {
    var o = channel.options[channel.selectedIndex];
    if (!o) return;
    if (!touched["kind"] && o.dataset.kind) {
      var r = form.querySelector('input[name="kind"][value="' + o.dataset.kind + '"]');
      if (r) { r.checked = true; showAnswer(); }
    }
    if (!touched["subject.category"]) field("subject.category").value = o.dataset.category || "";
    if (!touched["subject.problem"]) field("subject.problem").value = o.dataset.problem || "";
  });

  // Ctrl+Enter saves from a text area (Enter there is a new line).
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.tagName === "TEXTAREA") {
      e.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    }
  });
  // One save per form: a second Enter while the first is on its way does
  // nothing (the server also recognises the form by its key).
  form.addEventListener("submit", function () {
    var b = document.getElementById("save");
    setTimeout(function () { if (b) b.disabled = true; }, 0);
  });
})();
