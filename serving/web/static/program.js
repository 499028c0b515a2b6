// The program staff's 数据大屏: reads /v1/program/dashboard with a program key; every figure comes from there.
// Charts are drawn in the browser with the vendored Apache ECharts; lists are sorted and paged here and exported
// (CSV / XLSX) by /v1/program/export with the same filters and sort.
"use strict";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const state = { data: null, list: null, sort: null, descending: false, page: 0, charts: {} };

function key() { return sessionStorage.getItem("kuozhong-key") || ""; }

function fmt(v, unit) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") {
    const digits = unit === "万元" ? 2 : unit === "%" ? 1 : 0;
    return v.toLocaleString("zh-CN", { minimumFractionDigits: unit ? digits : 0, maximumFractionDigits: unit ? digits : 2 });
  }
  return String(v);
}
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);

function filters() {
  const q = new URLSearchParams();
  if ($("as-of-input").value) q.set("as_of", $("as-of-input").value);
  for (const f of ["township", "manager", "product"]) if ($(f).value) q.set(f, $(f).value);
  return q;
}

async function call(path) {
  const response = await fetch(path, { headers: { "X-API-Key": key() } });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { const body = await response.json(); message = body.error || body.detail || message; } catch (_) { /* */ }
    throw new Error(message);
  }
  return response;
}

function options(select, items, all) {
  const keep = select.value;
  select.innerHTML = `<option value="">${all}</option>` +
    items.map((i) => `<option value="${i.value}">${i.label}</option>`).join("");
  select.value = keep;
}

function renderCards(kpis) {
  const box = $("kpi-cards");
  box.innerHTML = "";
  for (const k of kpis) {
    const card = document.createElement("div");
    card.className = "card";
    card.dataset.key = k.key;
    const done = k["完成率"];
    const width = done === null ? 0 : Math.min(100, done * 100);
    card.innerHTML = `<h3></h3><div class="value"></div><div class="target"></div>
      <div class="bar"><span style="width:${width}%"${done !== null && done >= 1 ? ' class="done"' : ""}></span></div>
      <p class="definition"></p>`;
    card.querySelector("h3").textContent = k["指标"];
    card.querySelector(".value").textContent = `${fmt(k["实际值"], k["单位"])} ${k["单位"]}`;
    card.querySelector(".target").textContent = k["年度目标"] === null ? "附件1未设目标"
      : `目标 ${fmt(k["年度目标"], k["单位"])} ${k["单位"]} · 完成率 ${pct(done)}`;
    card.querySelector(".definition").textContent = k["口径说明"] + (k["备注"] ? `（${k["备注"]}）` : "");
    box.appendChild(card);
  }
  const body = $("kpi-table").tBodies[0];
  body.innerHTML = "";
  for (const k of kpis) {
    const tr = document.createElement("tr");
    for (const c of ["序号", "指标", "单位", "实际值", "年度目标", "完成率", "口径说明", "备注"]) {
      const td = document.createElement("td");
      td.textContent = c === "完成率" ? pct(k[c]) : (c === "实际值" || c === "年度目标") ? fmt(k[c], k["单位"]) : fmt(k[c]);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function chart(id) {
  if (!state.charts[id]) state.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
  return state.charts[id];
}

// Charts at the width of their panel: on a phone fewer ticks, slanted township names, shares inside the ring.
const AXIS_NAME = { nameTextStyle: { color: "#555" } };

function renderCharts(data) {
  // a chart's own width decides (a desk's two-column grid gives each chart a phone's width too)
  const narrow = $("chart-progress").clientWidth < 560;
  const withTarget = data.kpis.filter((k) => k["完成率"] !== null);
  chart("chart-progress").setOption({
    grid: { left: 10, right: 30, top: 10, bottom: 36, containLabel: true },
    xAxis: { type: "value", name: "完成率（%）", nameLocation: "middle", nameGap: 26, ...AXIS_NAME,
      splitNumber: narrow ? 3 : 5, axisLabel: { formatter: "{value}%", hideOverlap: true } },
    yAxis: { type: "category", inverse: true, data: withTarget.map((k) => k["指标"]),
      axisLabel: { fontSize: narrow ? 11 : 12 } },
    tooltip: { trigger: "axis", valueFormatter: (v) => `${v}%` },
    series: [{ type: "bar", data: withTarget.map((k) => ({ value: +(k["完成率"] * 100).toFixed(1),
      itemStyle: { color: k["完成率"] >= 1 ? "#1a7f37" : "#b26a00" } })),
      markLine: { symbol: "none", label: { show: false }, data: [{ xAxis: 100 }], lineStyle: { type: "dashed" } } }],
  }, true);
  const select = $("trend-key");
  if (!select.options.length) {
    for (const k of data.kpis) select.add(new Option(`${k["指标"]}（${k["单位"]}）`, k.key));
    select.value = "loan_balance";
  }
  const unit = (data.kpis.find((k) => k.key === select.value) || {})["单位"] || "";
  const s = data.series;
  chart("chart-trend").setOption({
    grid: { left: 60, right: 20, top: 50, bottom: 40 }, tooltip: { trigger: "axis" },
    legend: { data: ["实际", "当年目标"] },
    xAxis: { type: "category", data: s.dates, name: "月末", nameLocation: "middle", nameGap: 26, ...AXIS_NAME,
      axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", name: unit, ...AXIS_NAME },
    series: [{ name: "实际", type: "line", data: s.values[select.value] },
             { name: "当年目标", type: "line", step: "end", lineStyle: { type: "dashed" }, data: s.targets[select.value] }],
  }, true);
  const towns = data.by_township;
  chart("chart-township").setOption({
    grid: { left: 60, right: 50, top: 60, bottom: narrow ? 50 : 30 }, tooltip: { trigger: "axis" },
    legend: { data: ["贷款余额(万元)", "签约授信家庭(户)"] },
    xAxis: { type: "category", data: towns.map((t) => t["乡镇"]), axisLabel: { interval: 0, rotate: narrow ? 40 : 0 } },
    yAxis: [{ type: "value", name: "贷款余额（万元）", ...AXIS_NAME },
            { type: "value", name: "家庭（户）", ...AXIS_NAME }],
    series: [{ name: "贷款余额(万元)", type: "bar", data: towns.map((t) => t["贷款余额(万元)"]) },
             { name: "签约授信家庭(户)", type: "line", yAxisIndex: 1, data: towns.map((t) => t["签约授信家庭(户)"]) }],
  }, true);
  chart("chart-product").setOption({
    title: { text: "贷款余额（万元）", left: "center", top: 0, textStyle: { fontSize: 13, fontWeight: "normal", color: "#555" } },
    tooltip: { trigger: "item", valueFormatter: (v) => `${v} 万元` }, legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "62%"], center: ["50%", "48%"], name: "贷款余额(万元)",
      label: narrow ? { position: "inside", formatter: "{d}%", color: "#fff" } : { formatter: "{b}\n{d}%" },
      data: data.by_product.map((p) => ({ name: p["产品"], value: p["贷款余额(万元)"] })) }],
  }, true);
  const sub = data.subsidy;
  $("subsidy-note").textContent = (sub.budget === null ? `${sub.year}年（预算按全县，筛选后不计占比）`
    : `${sub.year}年预算 ${fmt(sub.budget, "元")} 元 · 已申请 ${pct(sub.claimed_share)}`) +
    (sub.approved === null ? " · 财政审核、拨付记录未录入" : ` · 已审核 ${pct(sub.approved_share)} · 已拨付 ${pct(sub.paid_share)}`);
  chart("chart-subsidy").setOption({
    grid: { left: 70, right: 20, top: 60, bottom: 30 }, tooltip: { trigger: "axis" },
    legend: { data: ["申请", "审核", "拨付", "预算"] },
    xAxis: { type: "category", data: ["全年累计"] }, yAxis: { type: "value", name: "贴息资金（元）", ...AXIS_NAME },
    series: [{ name: "申请", type: "bar", data: [sub.claimed] }, { name: "审核", type: "bar", data: [sub.approved] },
             { name: "拨付", type: "bar", data: [sub.paid] }, { name: "预算", type: "bar", data: [sub.budget] }],
  }, true);
}

function exportButtons(span, table) {
  span.innerHTML = "";
  for (const f of ["csv", "xlsx"]) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = `导出${f.toUpperCase()}`;
    b.dataset.format = f;
    b.addEventListener("click", () => download(table, f));
    span.appendChild(b);
  }
}

async function download(table, format) {
  const q = filters();
  q.set("as_of", state.data.as_of);
  q.set("table", table);
  q.set("format", format);
  if (table === state.list && state.sort) { q.set("sort", state.sort); q.set("descending", state.descending); }
  const blob = await (await call(`/v1/program/export?${q}`)).blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${table}-${state.data.as_of}.${format}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function renderTabs(data) {
  const nav = $("list-tabs");
  nav.innerHTML = "";
  for (const [name, list] of Object.entries(data.lists)) {
    const b = document.createElement("button");
    b.type = "button";
    b.setAttribute("role", "tab");
    b.dataset.list = name;
    b.textContent = `${name}（${list.total}）`;
    b.setAttribute("aria-selected", String(name === state.list));
    b.addEventListener("click", () => { state.list = name; state.sort = null; state.page = 0; renderTabs(data); });
    nav.appendChild(b);
  }
  renderList();
}

function sortedRows() {
  const rows = [...state.data.lists[state.list].rows];
  if (!state.sort) return rows;
  const dir = state.descending ? -1 : 1;
  return rows.sort((a, b) => {
    const x = a[state.sort], y = b[state.sort];
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  });
}

function renderList() {
  const list = state.data.lists[state.list];
  const cols = Object.keys(list.columns);
  const rows = sortedRows();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  state.page = Math.min(state.page, pages - 1);
  $("list-count").textContent = `${state.list}：共 ${list.total} 条`;
  exportButtons($("list-exports"), state.list);
  const table = $("list-table");
  table.tHead.innerHTML = "";
  const head = table.tHead.insertRow();
  for (const c of cols) {
    const th = document.createElement("th");
    th.textContent = list.columns[c];
    th.dataset.column = c;
    if (state.sort === c) th.setAttribute("aria-sort", state.descending ? "descending" : "ascending");
    th.addEventListener("click", () => {
      state.descending = state.sort === c ? !state.descending : false;
      state.sort = c;
      state.page = 0;
      renderList();
    });
    head.appendChild(th);
  }
  const body = table.tBodies[0];
  body.innerHTML = "";
  for (const row of rows.slice(state.page * PAGE, (state.page + 1) * PAGE)) {
    const tr = body.insertRow();
    for (const c of cols) {
      const cell = tr.insertCell();
      cell.textContent = fmt(row[c]);
      // figures right-aligned; a Chinese sentence wraps; codes and dates stay on one line
      if (typeof row[c] === "number") cell.className = "num";
      else if (/[\u4e00-\u9fff]/.test(cell.textContent) && cell.textContent.length > 10) cell.className = "text";
    }
  }
  $("page-info").textContent = `第 ${state.page + 1} / ${pages} 页（每页 ${PAGE} 条）`;
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page >= pages - 1;
}

function render(data) {
  state.data = data;
  $("as-of").textContent = `统计日 ${data.as_of} · ${data.scope}`;
  $("as-of-input").value = data.as_of;
  $("data-until").textContent = data.data_until
    ? `数据截至 ${data.data_until}（T+1）；默认统计日为有数据的最后一天。`
    : "数据文件夹中尚无记录。";
  options($("township"), data.filters.townships.map((t) => ({ value: t, label: t })), "全部乡镇");
  options($("manager"), data.filters.managers.map((m) => ({ value: m, label: m })), "全部客户经理");
  options($("product"), data.filters.products.map((p) => ({ value: p.code, label: p.name })), "全部产品");
  renderCards(data.kpis);
  renderCharts(data);
  exportButtons(document.querySelector('.exports[data-table="kpis"]'), "kpis");
  if (!state.list || !(state.list in data.lists)) state.list = "应回访清单";
  renderTabs(data);
  const d = data.drift;
  $("drift").textContent = d.score_psi === null
    ? `模型 v${d.model_version}：${d.status}`
    : `模型 v${d.model_version}：评分 PSI ${d.score_psi}（${d.status}），最近检查 ${d.checked}`;
}

async function refresh(initial) {
  $("error").hidden = true;
  try {
    const query = initial ? "" : `?${filters()}`;
    render(await (await call(`/v1/program/dashboard${query}`)).json());
    $("board").hidden = false;
    $("sign-in-panel").hidden = true;
    $("signed-in-as").textContent = "已登录 · 项目工作人员";
    $("signed-in-as").hidden = false;
    $("sign-out").hidden = false;
    Object.values(state.charts).forEach((c) => c.resize());
  } catch (err) {
    if (!$("board").hidden) { $("error").textContent = `错误：${err.message}`; $("error").hidden = false; return; }
    $("sign-in-error").textContent = `登录失败：${err.message}`;
    $("sign-in-error").hidden = false;
  }
}

$("sign-in").addEventListener("click", () => { sessionStorage.setItem("kuozhong-key", $("api-key").value); refresh(true); });
$("refresh").addEventListener("click", () => refresh(false));
$("trend-key").addEventListener("change", () => renderCharts(state.data));
$("prev").addEventListener("click", () => { state.page -= 1; renderList(); });
$("next").addEventListener("click", () => { state.page += 1; renderList(); });
$("sign-out").addEventListener("click", () => { sessionStorage.removeItem("kuozhong-key"); location.reload(); });
window.addEventListener("resize", () => {
  Object.values(state.charts).forEach((c) => c.resize());
  if (state.data) renderCharts(state.data);
});
if (key()) refresh(true);
