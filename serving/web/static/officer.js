// The loan officer's page: talks only to the decision API, with the officer's key in the X-API-Key header.
"use strict";

const REC_ZH = { approve: "建议批准", refer: "转人工审核", decline: "建议拒绝" };
const OUTCOME_ZH = { pass: "通过", fail: "未通过", cannot_decide: "待核实" };
const ACTION_ZH = { confirm: "确认", override: "改变" };
const $ = (id) => document.getElementById(id);
let mode = "household";
let current = null;

function key() { return sessionStorage.getItem("kuozhong-key") || ""; }

async function api(path, options = {}) {
  const headers = Object.assign({ "X-API-Key": key() }, options.body ? { "Content-Type": "application/json" } : {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      message = body.error || (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
    } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function showError(message) {
  const box = $("error");
  box.textContent = message ? `错误：${message}` : "";
  box.hidden = !message;
}

async function signIn(value) {
  sessionStorage.setItem("kuozhong-key", value);
  try {
    const model = await (await api("/v1/model")).json();
    $("signed-in-as").textContent = `已登录 · 模型 ${model.name} v${model.version} · 政策 ${model.policy_version}`;
    $("signed-in-as").hidden = false;
    $("sign-out").hidden = false;
    $("sign-in-panel").hidden = true;
    $("work").hidden = false;
    showError("");
  } catch (err) {
    sessionStorage.removeItem("kuozhong-key");
    $("sign-in-panel").hidden = false;
    $("work").hidden = true;
    showError(err.message);
    $("work").hidden = true;
    alertSignIn(err.message);
  }
}

function alertSignIn(message) {
  let p = $("sign-in-error");
  if (!p) {
    p = document.createElement("p");
    p.id = "sign-in-error";
    p.setAttribute("role", "alert");
    $("sign-in-panel").appendChild(p);
  }
  p.textContent = `登录失败：${message}`;
}

function setMode(next) {
  mode = next;
  $("mode-household").classList.toggle("active", next === "household");
  $("mode-form").classList.toggle("active", next === "form");
  $("visit-form").hidden = next !== "form";
}

function applicationBody() {
  const body = {
    source: mode,
    household_id: $("household-id").value.trim(),
    application_date: $("application-date").value,
    requested_amount: Number($("requested-amount").value),
    purpose: $("purpose").value,
  };
  if (mode === "form") {
    const size = Math.max(1, Number($("f-members").value));
    const members = [{ age: Number($("f-head-age").value), relation: "户主", civil_capacity: "full" }];
    for (let i = 1; i < size; i += 1) members.push({ age: 30, relation: "家庭成员", civil_capacity: "full" });
    body.visit = {
      visited_at: `${body.application_date}T09:00:00`,
      applicant: { id_number: $("f-id-number").value.trim().toUpperCase(), name: $("f-name").value.trim(),
                   phone: $("f-phone").value.trim() },
      livelihood: $("f-livelihood").value,
      residence: { fixed_residence: $("f-fixed-residence").checked, township: $("f-township").value,
                   years_at_address: Number($("f-years").value) },
      members,
      declared_income: { main: Number($("f-income").value) },
      declaration_signed: $("f-declaration").checked,
    };
  }
  return body;
}

function text(el, value) { el.textContent = value; return el; }
function show(value) {
  if (value == null) return "—";
  if (Array.isArray(value)) return value.map(show).join("，");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${k}: ${show(v)}`).join("；");
  return String(value);
}
function cell(row, value) { text(row.insertCell(), show(value)); }
function yuan(x) { return `${Math.round(x).toLocaleString("zh-CN")} 元`; }
function pct(x, digits = 2) { return `${(x * 100).toFixed(digits)}%`; }

function drawWaterfall(svg, d) {
  // whole points: base + the reasons + the other factors by feature group = the displayed score
  const base = Math.floor(Math.round(d.base_points * 100) / 100 + 0.5);
  const total = Math.floor(Math.round(d.score * 100) / 100 + 0.5);
  const steps = d.reasons.map((r) => ({ label: r.label_zh, points: r.points_int }));
  for (const g of d.other_factors || []) steps.push({ label: g.label_zh, points: g.points_int });
  const rest = total - base - steps.reduce((s, r) => s + r.points, 0);
  if (rest !== 0) steps.push({ label: "其他因素合计", points: rest });
  const rows = [{ label: "基础分", from: 0, to: base, kind: "base" }];
  let level = base;
  for (const s of steps) { rows.push({ label: s.label, from: level, to: level + s.points, kind: s.points >= 0 ? "up" : "down" }); level += s.points; }
  rows.push({ label: "最终评分", from: 0, to: total, kind: "total" });
  const values = rows.flatMap((r) => [r.from, r.to]);
  const lo = Math.min(...values.filter((v) => v > 0)) - 40, hi = Math.max(...values) + 20;
  const width = 720, labelW = 170, barH = 22, gap = 8, height = rows.length * (barH + gap) + 10;
  const x = (v) => labelW + ((Math.max(v, lo) - lo) / (hi - lo)) * (width - labelW - 70);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  rows.forEach((r, i) => {
    const y = 5 + i * (barH + gap);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", labelW - 8); label.setAttribute("y", y + barH * 0.72); label.setAttribute("text-anchor", "end");
    label.textContent = r.label; svg.appendChild(label);
    const a = r.kind === "base" || r.kind === "total" ? x(lo) : x(Math.min(r.from, r.to));
    const b = r.kind === "base" || r.kind === "total" ? x(r.to) : x(Math.max(r.from, r.to));
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", a); rect.setAttribute("y", y); rect.setAttribute("width", Math.max(2, b - a)); rect.setAttribute("height", barH);
    rect.setAttribute("class", `bar ${r.kind}`); svg.appendChild(rect);
    const value = document.createElementNS(ns, "text");
    value.setAttribute("x", b + 6); value.setAttribute("y", y + barH * 0.72);
    const delta = r.to - r.from;
    value.textContent = r.kind === "up" || r.kind === "down" ? `${delta >= 0 ? "+" : ""}${delta.toFixed(0)}` : r.to.toFixed(0);
    svg.appendChild(value);
  });
}

function changeText(item) {
  if (item.text_zh) return item.text_zh;
  if (item.message_zh) return item.message_zh;
  return show(item);
}

function render(pub) {
  current = pub;
  const d = pub.decision;
  $("decision-card").hidden = false;
  text($("decision-id"), d.decision_id);
  text($("applicant"), `家庭 ${d.household_id} · 申请人 ${pub.applicant_name_masked || ""} ${d.applicant_id_masked} · 申请日 ${d.as_of}`);
  const badge = $("recommendation");
  text(badge, REC_ZH[d.recommendation]);
  badge.className = `badge ${d.recommendation}`;
  text($("score"), d.score.toFixed(0));
  text($("grade"), d.grade);
  text($("pd"), pct(d.pd));
  text($("model-version"), `${d.model.name} v${d.model.version} · ${d.policy_version}`);
  text($("review-note"), d.review_note_zh);
  const body = $("eligibility-table").tBodies[0];
  body.replaceChildren();
  for (const r of d.eligibility.rules) {
    const row = body.insertRow();
    row.className = r.outcome;
    cell(row, r.code); cell(row, OUTCOME_ZH[r.outcome]); cell(row, r.value); cell(row, r.threshold); cell(row, r.message_zh);
  }
  drawWaterfall($("waterfall"), d);
  const reasons = $("reasons");
  reasons.replaceChildren(...d.reasons.map((r) => text(document.createElement("li"), r.text_zh)));
  const changes = $("what-would-change");
  const w = d.what_would_change;
  let items = ["暂无可行的改变建议"];
  if (Array.isArray(w) && w.length) items = w.map(changeText);
  else if (w && !Array.isArray(w)) {
    const changes = w.changes || [];
    items = [w.text_zh, ...(changes.length > 1 ? changes.map(changeText) : [])];
    if (w.score_after != null) items.push(`改变后评分约 ${w.score_after.toFixed(0)}${w.grade_after ? `，评级 ${w.grade_after}` : ""}`);
  }
  changes.replaceChildren(...items.map((t) => text(document.createElement("li"), t)));
  const terms = $("terms");
  if (d.terms) {
    const t = d.terms;
    terms.replaceChildren(...[
      `产品：${t.product_name}（${t.product_code}）`, `额度：${yuan(t.limit)}`,
      `执行利率：${pct(t.rate)}（基准 ${pct(t.reference_rate)}）`,
      `财政贴息：${pct(t.finance_subsidy_rate)}，年约 ${yuan(t.annual_subsidy_finance)}`,
      `银行让利：${pct(t.bank_concession_rate)}，年约 ${yuan(t.annual_concession_bank)}`, t.explanation_zh,
    ].map((s) => text(document.createElement("p"), s)));
  } else {
    terms.replaceChildren(text(document.createElement("p"), "不提供产品（未通过准入或模型建议拒绝）"));
  }
  $("reviews").replaceChildren(...pub.reviews.map((r) => text(document.createElement("li"),
    `${r.created_at.slice(0, 19).replace("T", " ")} · ${ACTION_ZH[r.action]} · 最终：${REC_ZH[r.final_recommendation]} · 理由：${r.reason}`)));
  text($("final"), `当前结论：${REC_ZH[pub.final_recommendation]}（${pub.final_by === "model" ? "模型" : "信贷员复核"}）`);
}

async function submitApplication(event) {
  event.preventDefault();
  showError("");
  $("busy").hidden = false;
  try {
    const response = await api("/v1/decisions", { method: "POST", body: JSON.stringify(applicationBody()) });
    render(await response.json());
  } catch (err) {
    showError(err.message);
  } finally {
    $("busy").hidden = true;
  }
}

async function submitReview(event) {
  event.preventDefault();
  showError("");
  const body = { action: $("review-action").value, reason: $("review-reason").value.trim() };
  if ($("review-final").value) body.final_recommendation = $("review-final").value;
  try {
    const response = await api(`/v1/decisions/${current.decision.decision_id}/reviews`, { method: "POST", body: JSON.stringify(body) });
    render(await response.json());
    $("review-reason").value = "";
  } catch (err) {
    showError(err.message);
  }
}

async function download() {
  try {
    const response = await api(`/v1/decisions/${current.decision.decision_id}/approval-file`);
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [null, "approval"])[1];
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  } catch (err) {
    showError(err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("application-date").value = new Date().toISOString().slice(0, 10);
  $("sign-in").addEventListener("click", () => signIn($("api-key").value.trim()));
  $("api-key").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn($("api-key").value.trim()); });
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem("kuozhong-key"); location.reload(); });
  $("mode-household").addEventListener("click", () => setMode("household"));
  $("mode-form").addEventListener("click", () => setMode("form"));
  $("application").addEventListener("submit", submitApplication);
  $("review-form").addEventListener("submit", submitReview);
  $("download-approval").addEventListener("click", download);
  if (key()) signIn(key());
});
