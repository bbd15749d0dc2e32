// Consumer pages: 获取验证码 asks for the code without reloading the page
// (POST /api/v1/public/otp) and counts down to when another may be asked
// for. Without this script the button posts the form and the page comes
// back with the message; the result is the same. Text goes in with
// textContent only.
(function () {
  "use strict";
  var button = document.getElementById("get-code");
  var status = document.getElementById("code-status");
  if (!button || !status || !window.fetch) return;
  var form = button.form;
  var purpose = button.getAttribute("data-purpose") || "file";

  function countdown(seconds) {
    var label = button.textContent;
    button.disabled = true;
    var left = seconds;
    (function tick() {
      if (left <= 0) { button.disabled = false; button.textContent = label; return; }
      button.textContent = left + " 秒后可重新获取";
      left--;
      setTimeout(tick, 1000);
    })();
  }

  button.addEventListener("click", function (e) {
    e.preventDefault();
    var phoneField = form.elements[purpose === "track" ? "phone" : "complainant.phone"];
    var body = { phone: phoneField.value.trim(), purpose: purpose };
    if (purpose === "track") body.case_id = form.elements["id"].value.trim();
    status.className = "hint";
    status.textContent = "正在发送……";
    fetch("/api/v1/public/otp", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) { return { ok: r.ok, d: d }; });
    }).then(function (res) {
      if (res.ok) {
        status.className = "hint ok";
        status.textContent = (purpose === "track" ? "如果手机号码与案件相符，" : "") +
          "验证码已发送，5 分钟内有效。";
        countdown(res.d.resend_after || 60);
        var code = form.elements[purpose === "track" ? "code" : "otp_code"];
        if (code) code.focus();
      } else {
        var err = res.d && res.d.error;
        status.className = "field-error";
        status.textContent = (err && err.message) || "发送失败，请稍后重试";
      }
    }).catch(function () {
      status.className = "field-error";
      status.textContent = "网络不通，请稍后重试";
    });
  });
})();
