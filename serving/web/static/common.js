// Shared by the officer's page, the PAD page and the reviewers' page: the API with the key, errors in Chinese, local dates, sign-in.
"use strict";

const KZ = (() => {
  const KEY = "kuozhong-key";
  const ROLE_ZH = { officer: "信贷员", admin: "管理员", risk: "风险管理", auditor: "审计", program: "项目办" };
  const STATUS_ZH = {
    401: "密钥无效或已停用，请核对后重新登录",
    403: "该密钥没有办理此项业务的权限",
    404: "查不到该记录，请核对编号",
    409: "同一申请已在处理，请勿重复提交",
    413: "提交的内容过大，请减少照片后重试",
  };
  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(message, status, field) { super(message); this.status = status; this.field = field; }
  }

  function key() { return sessionStorage.getItem(KEY) || ""; }

  // Every message shown comes from message_zh or the status table: nothing English reaches the page.
  async function api(path, options = {}) {
    const headers = Object.assign({ "X-API-Key": key() }, options.body ? { "Content-Type": "application/json" } : {},
      options.headers || {});
    let response;
    try {
      response = await fetch(path, Object.assign({}, options, { headers }));
    } catch (_) {
      throw new ApiError("网络不通，请检查网络后重试", 0, null);
    }
    if (!response.ok) {
      let message = STATUS_ZH[response.status] || (response.status >= 500 ? "服务暂时出错，请稍后重试" : "提交的内容有误，请核对");
      let field = null;
      try {
        const body = await response.json();
        if (body.message_zh) message = body.message_zh;
        field = body.field || null;
      } catch (_) { /* not JSON */ }
      throw new ApiError(message, response.status, field);
    }
    return response;
  }

  function today() {
    // The application date is the officer's day in Shengsi (Asia/Shanghai), not UTC's.
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
                                              day: "2-digit" }).format(new Date());
  }

  function localTime(iso) {
    if (!iso) return "";
    const moment = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    const text = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(moment);
    return `${text.replace(/\//g, "-")}（北京时间）`;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`;
  }

  function alertIn(panelId, message) {
    let p = $("sign-in-error");
    if (!p) {
      p = document.createElement("p");
      p.id = "sign-in-error";
      p.setAttribute("role", "alert");
      $(panelId).appendChild(p);
    }
    p.textContent = message ? `登录失败：${message}` : "";
    p.hidden = !message;
  }

  // Sign in: the key must belong to a role that may do this page's work, checked now, not at the first decision.
  async function signIn(value, onReady) {
    sessionStorage.setItem(KEY, value);
    try {
      const session = await (await api("/v1/session")).json();
      if (!session.may_decide) {
        throw new ApiError(`该密钥属于“${ROLE_ZH[session.role] || "其他"}”角色，不能办理信贷业务；请使用信贷员密钥`, 403, null);
      }
      $("signed-in-as").textContent = `已登录 · ${ROLE_ZH[session.role] || ""}${session.township ? ` · ${session.township}` : ""}`;
      $("signed-in-as").hidden = false;
      $("sign-out").hidden = false;
      $("sign-in-panel").hidden = true;
      alertIn("sign-in-panel", "");
      await onReady(session);
    } catch (err) {
      sessionStorage.removeItem(KEY);
      $("sign-in-panel").hidden = false;
      alertIn("sign-in-panel", err.message);
      return false;
    }
    return true;
  }

  function wireSignIn(onReady) {
    $("sign-in").addEventListener("click", () => signIn($("api-key").value.trim(), onReady));
    $("api-key").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn($("api-key").value.trim(), onReady); });
    $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.reload(); });
    if (key()) signIn(key(), onReady);
  }

  return { $, api, ApiError, key, today, localTime, newId, signIn, wireSignIn };
})();
