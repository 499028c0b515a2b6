// The reviewers' page: talks only to /v1/review, with the reviewer's key in the X-API-Key header.
"use strict";

const STATUS_ZH = { under_review: "待审核", returned: "退回补充", confirmed: "已确认", not_confirmed: "不予确认", appealed: "申诉复核中" };
const KIND_ZH = { visits: "走访", supplement: "补充名单" };
const LIVELIHOOD_ZH = { fishing: "捕捞渔业", mussel: "贻贝养殖", bnb: "民宿经营", port: "港口物流", shop: "个体商户", wage: "工资性就业", pension: "养老金/转移收入" };
const $ = (id) => document.getElementById(id);
let me = null;
let currentBatch = null;
let currentEntry = null;

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
  $("error").textContent = message ? `错误：${message}` : "";
  $("error").hidden = !message;
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function fill(tableId, items, render) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren();
  for (const item of items) {
    const tr = document.createElement("tr");
    render(tr, item);
    body.appendChild(tr);
  }
  return body;
}

async function signIn(value) {
  sessionStorage.setItem("kuozhong-key", value);
  try {
    me = await (await api("/v1/review/me")).json();
    $("signed-in-as").textContent = `已登录 · ${me.unit} · 可见乡镇：${me.townships.join("、")}`;
    $("signed-in-as").hidden = false;
    $("sign-out").hidden = false;
    $("sign-in-panel").hidden = true;
    $("sign-in-error").hidden = true;
    $("work").hidden = false;
    $("confirm-method").replaceChildren(...me.confirmation_methods.map((m) => {
      const o = document.createElement("option");
      o.value = m;
      o.textContent = m;
      return o;
    }));
    for (const option of $("filter-township").options) {
      option.hidden = option.value !== "" && !me.townships.includes(option.value);
    }
    await Promise.all([loadBatches(), loadLent(), loadVersions()]);
  } catch (err) {
    sessionStorage.removeItem("kuozhong-key");
    $("work").hidden = true;
    $("sign-in-panel").hidden = false;
    $("sign-in-error").textContent = `登录失败：${err.message}`;
    $("sign-in-error").hidden = false;
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : "";
}

async function loadBatches() {
  const township = $("filter-township").value;
  const batches = await (await api(`/v1/review/batches${query({ township })}`)).json();
  const wanted = $("filter-status").value;
  const shown = wanted ? batches.filter((b) => (b.status_counts[wanted] || 0) > 0) : batches;
  fill("batches", shown, (tr, b) => {
    tr.className = "clickable";
    tr.dataset.batch = b.batch_no;
    cell(tr, b.batch_no);
    cell(tr, b.township);
    cell(tr, KIND_ZH[b.kind] || b.kind);
    cell(tr, b.submitted_on);
    cell(tr, b.entry_count);
    cell(tr, Object.entries(b.status_counts).map(([s, n]) => `${STATUS_ZH[s]} ${n}`).join("，"));
    const last = b.confirmations[b.confirmations.length - 1];
    cell(tr, last ? `${last.method} ${last.confirmed_on}` : "未记录");
    tr.addEventListener("click", () => openBatch(b));
  });
}

async function openBatch(batch) {
  currentBatch = batch;
  $("batch-title").textContent = `${batch.batch_no} · ${batch.township}`;
  const entries = await (await api(`/v1/review/entries${query({ batch_no: batch.batch_no, status: $("filter-status").value })}`)).json();
  fill("entries", entries, (tr, e) => {
    tr.className = "clickable";
    tr.dataset.entry = e.entry_id;
    cell(tr, e.entry_id.slice(-4));
    cell(tr, e.household_id);
    cell(tr, e.name);
    cell(tr, e.id_number);
    cell(tr, e.visited_on);
    cell(tr, e.calibration + (e.calibration_reasons ? `（${e.calibration_reasons}）` : ""));
    cell(tr, STATUS_ZH[e.status], `status-${e.status}`);
    tr.addEventListener("click", () => openEntry(e.entry_id));
  });
  const box = $("confirmations");
  box.replaceChildren();
  for (const c of batch.confirmations) {
    const p = document.createElement("p");
    p.textContent = `${c.confirmed_on} · ${c.method} · ${c.result}（${c.unit} 记录）`;
    box.appendChild(p);
  }
  if (!batch.confirmations.length) box.textContent = "尚未记录名单确认方式";
  $("entries-panel").hidden = false;
  $("entry-panel").hidden = true;
}

function formItems(form) {
  const income = form.declared_income || {};
  const gps = form.gps || {};
  const a = form.applicant || {};
  const yes = (v) => (v === true ? "是" : v === false ? "否" : "—");
  return [
    ["户主", a.name], ["身份证号", a.id_number], ["联系电话", a.phone], ["乡镇", form.township],
    ["走访日期", form.visited_on], ["客户经理", form.account_manager_id], ["走访时长（分钟）", form.duration_min],
    ["GPS定位", gps.lat ? `${gps.lat}, ${gps.lon}（精度${gps.accuracy_m}米）` : null],
    ["定位在本乡镇", yes(gps.in_township)], ["照片数", form.photo_count], ["固定住所", yes(form.fixed_residence)],
    ["现址居住年数", form.years_at_address], ["家庭人口", form.household_size],
    ["主要生计", LIVELIHOOD_ZH[form.livelihood] || form.livelihood],
    ["家庭年收入（元）", income.total !== undefined ? Number(income.total).toLocaleString("zh-CN") : null],
    ["收入上限（元）", form.income_cap !== undefined && form.income_cap !== null ? Number(form.income_cap).toLocaleString("zh-CN") : null],
    ["收入未超上限", yes(form.income_within_cap)], ["负债余额（元）", form.debt_balance],
    ["已签承诺书", yes(form.declaration_signed)], ["证照", (form.licences || []).join("、") || "无"],
    ["说明", form.note],
  ].filter(([, v]) => v !== undefined);
}

async function openEntry(entryId) {
  const e = await (await api(`/v1/review/entries/${encodeURIComponent(entryId)}`)).json();
  currentEntry = e;
  const dl = document.createElement("dl");
  dl.className = "form";
  const head = [["条目", e.entry_id], ["家庭编号", e.household_id], ["状态", STATUS_ZH[e.status]],
    ["银行校准", e.calibration + (e.calibration_reasons ? `（${e.calibration_reasons}）` : "")]];
  if (e.supplement_reason) head.push(["补充原因", e.supplement_reason]);
  for (const [k, v] of head.concat(formItems(e.form))) {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = v === null || v === undefined ? "—" : String(v);
    div.append(dt, dd);
    dl.appendChild(div);
  }
  $("form-view").replaceChildren(dl);
  fill("trail", e.trail, (tr, a) => {
    cell(tr, a.acted_on); cell(tr, a.action_zh); cell(tr, a.reason); cell(tr, a.unit); cell(tr, a.actor);
  });
  const loans = $("loans");
  loans.replaceChildren();
  if (e.loans_under_review.length) {
    const p = document.createElement("p");
    p.className = e.status === "not_confirmed" ? "warn" : "";
    p.textContent = "边审核边放款：" + e.loans_under_review.map((l) => `${l.source} ${l.loan_id}（${l.signed_on}，${l.subsidy_status}）`).join("；");
    loans.appendChild(p);
  }
  $("entry-panel").hidden = false;
  $("entry-panel").scrollIntoView({ block: "start" });
}

async function loadLent() {
  const rows = await (await api("/v1/review/lent-not-confirmed")).json();
  const flat = rows.flatMap((e) => e.loans_under_review.map((l) => ({ e, l })));
  fill("lent", flat, (tr, { e, l }) => {
    cell(tr, e.household_id); cell(tr, e.township); cell(tr, e.name); cell(tr, `${l.source} ${l.loan_id}`);
    cell(tr, l.signed_on); cell(tr, l.subsidy_status, "warn");
  });
}

async function loadVersions() {
  const versions = await (await api("/v1/review/final-list/versions")).json();
  const select = $("version");
  select.replaceChildren();
  const latest = document.createElement("option");
  latest.value = "";
  latest.textContent = "最新版本";
  select.appendChild(latest);
  for (const v of versions.slice().reverse()) {
    const o = document.createElement("option");
    o.value = v.version;
    o.textContent = `第${v.version}版（${v.effective_on}）`;
    select.appendChild(o);
  }
  fill("versions", versions.slice().reverse().slice(0, 30), (tr, v) => {
    cell(tr, v.version); cell(tr, v.effective_on); cell(tr, v.batch_no); cell(tr, v.note); cell(tr, v.rows);
    cell(tr, v.action_ids.length);
  });
  const rows = await (await api(`/v1/review/final-list${query({ version: select.value })}`)).json();
  const count = (s) => rows.filter((r) => r.list_status === s).length;
  $("final-summary").textContent = `共${rows.length}户：确认${count("confirmed")}户，不予确认${count("not_confirmed")}户，审核中${count("under_review")}户`;
}

async function exportList() {
  const response = await api(`/v1/review/final-list.xlsx${query({ version: $("version").value })}`);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `最终名单-${$("version").value || "最新"}.xlsx`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

async function guarded(work) {
  try { showError(""); await work(); } catch (err) { showError(err.message); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("confirm-date").value = KZ.today();  // Shengsi's day (Asia/Shanghai), not UTC's
  $("sign-in").addEventListener("click", () => signIn($("api-key").value.trim()));
  $("api-key").addEventListener("keydown", (ev) => { if (ev.key === "Enter") signIn($("api-key").value.trim()); });
  $("sign-out").addEventListener("click", () => { sessionStorage.removeItem("kuozhong-key"); location.reload(); });
  $("filter-township").addEventListener("change", () => guarded(loadBatches));
  $("filter-status").addEventListener("change", () => guarded(async () => {
    await loadBatches();
    if (currentBatch) await openBatch(currentBatch);
  }));
  $("version").addEventListener("change", () => guarded(loadVersions));
  $("export").addEventListener("click", () => guarded(exportList));
  $("action-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    guarded(async () => {
      await api(`/v1/review/entries/${encodeURIComponent(currentEntry.entry_id)}/actions`, {
        method: "POST", body: JSON.stringify({ action: $("action").value, reason: $("reason").value }) });
      $("reason").value = "";
      await openEntry(currentEntry.entry_id);
      await loadBatches();
    });
  });
  $("confirmation-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    guarded(async () => {
      const batch = await (await api(`/v1/review/batches/${encodeURIComponent(currentBatch.batch_no)}/confirmation`, {
        method: "POST", body: JSON.stringify({ method: $("confirm-method").value, confirmed_on: $("confirm-date").value,
          result: $("confirm-result").value }) })).json();
      await openBatch(batch);
      await loadBatches();
    });
  });
  $("publish").addEventListener("click", () => guarded(async () => {
    const v = await (await api(`/v1/review/batches/${encodeURIComponent(currentBatch.batch_no)}/publish`, { method: "POST" })).json();
    await loadVersions();
    $("final-summary").textContent = `已形成第${v.version}版（${v.rows}户变动）。` + $("final-summary").textContent;
  }));
  if (key()) signIn(key());
});
