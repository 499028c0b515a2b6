// The program staff's dashboard: reads /v1/program/dashboard with a program key; every figure comes from there.
"use strict";

const $ = (id) => document.getElementById(id);
const HEAD = {
  managers: { account_manager_id: "客户经理", visits: "走访数", sound_visits: "有效走访", doubtful: "存疑走访",
              signings: "签约户数", signed_amount: "签约金额(元)", daily_avg_balance: "日均余额(元)" },
  doubtful: { visit_id: "走访编号", household_id: "家庭编号", account_manager_id: "客户经理", visited_at: "走访时间",
              township: "乡镇", reasons: "存疑原因" },
  mobility: { household_id: "家庭编号", flagged_on: "认定日期", evidence: "依据" },
};

function key() { return sessionStorage.getItem("kuozhong-key") || ""; }

function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return v.toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  return String(v);
}

function fill(tableId, rows, heads) {
  const table = $(tableId);
  const cols = heads ? Object.keys(heads) : (rows.length ? Object.keys(rows[0]) : []);
  table.tHead.innerHTML = "<tr>" + cols.map((c) => `<th>${heads ? heads[c] : c}</th>`).join("") + "</tr>";
  const body = table.tBodies[0];
  body.innerHTML = "";
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const c of cols) {
      const td = document.createElement("td");
      td.textContent = fmt(row[c]);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

async function load(asOf) {
  const query = asOf ? `?as_of=${asOf}` : "";
  const response = await fetch(`/v1/program/dashboard${query}`, { headers: { "X-API-Key": key() } });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { const body = await response.json(); message = body.error || body.detail || message; } catch (_) { /* */ }
    throw new Error(message);
  }
  return response.json();
}

function render(data) {
  $("as-of").textContent = `统计日 ${data.as_of}（T+1）`;
  const kpi = $("kpi-table").tBodies[0];
  kpi.innerHTML = "";
  for (const row of data.kpis) {
    const tr = document.createElement("tr");
    tr.className = row["完成率"] !== null && row["完成率"] >= 100 ? "pass" : "";
    for (const c of ["指标", "单位", "实际值", "年度目标", "完成率", "口径说明"]) {
      const td = document.createElement("td");
      td.textContent = c === "完成率" && row[c] !== null ? `${fmt(row[c])}%` : fmt(row[c]);
      tr.appendChild(td);
    }
    kpi.appendChild(tr);
  }
  $("charts").innerHTML = "";
  for (const [name, png] of Object.entries(data.charts)) {
    const img = document.createElement("img");
    img.alt = name === "progress" ? "指标完成情况" : "月度趋势";
    img.src = `data:image/png;base64,${png}`;
    img.style.maxWidth = "100%";
    $("charts").appendChild(img);
  }
  const d = data.drift;
  $("drift").textContent = d.score_psi === null
    ? `模型 v${d.model_version}：${d.status}`
    : `模型 v${d.model_version}：评分 PSI ${d.score_psi}（${d.status}），最近检查 ${d.checked}`;
  fill("township-table", data.by_township);
  fill("manager-table", data.managers, HEAD.managers);
  $("doubtful-count").textContent = `共 ${data.doubtful_total} 条`;
  fill("doubtful-table", data.doubtful_visits, HEAD.doubtful);
  $("mobility-count").textContent = `共 ${data.upward_mobility_total} 户`;
  fill("mobility-table", data.upward_mobility, HEAD.mobility);
}

async function refresh(asOf) {
  $("error").hidden = true;
  try {
    render(await load(asOf));
    $("board").hidden = false;
    $("sign-in-panel").hidden = true;
    $("signed-in-as").textContent = "已登录 · 项目工作人员";
    $("signed-in-as").hidden = false;
    $("sign-out").hidden = false;
  } catch (err) {
    if (!$("board").hidden) { $("error").textContent = `错误：${err.message}`; $("error").hidden = false; return; }
    $("sign-in-error").textContent = `登录失败：${err.message}`;
    $("sign-in-error").hidden = false;
  }
}

$("sign-in").addEventListener("click", () => { sessionStorage.setItem("kuozhong-key", $("api-key").value); refresh(); });
$("refresh").addEventListener("click", () => refresh($("as-of-input").value));
$("sign-out").addEventListener("click", () => { sessionStorage.removeItem("kuozhong-key"); location.reload(); });
if (key()) refresh();
