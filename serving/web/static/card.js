// The decision card (templates/_card.html), shared by the officer's page and the PAD page. Chinese only.
"use strict";

const Card = (() => {
  const { $ } = KZ;
  const REC_ZH = { approve: "建议批准", refer: "转人工审核", decline: "建议拒绝" };
  const FINAL_ZH = { approve: "批准", refer: "转人工", decline: "拒绝" };
  const ACTION_ZH = { confirm: "确认模型建议", override: "改变结果" };
  let current = null;

  function text(el, value) { el.textContent = value; return el; }
  function item(tag, value) { return text(document.createElement(tag), value); }
  function yuan(x) { return `${Math.round(x).toLocaleString("zh-CN")} 元`; }
  function pct(x, digits = 2) { return `${(x * 100).toFixed(digits)}%`; }
  // points as displayed (models.explain.reasons.display_points): the stored 2 decimals cut to the whole point
  function points(x) { return Math.floor(Math.round(x * 100) / 100); }

  // The waterfall is drawn to its container's width: no fixed size, no horizontal scroll on a phone.
  function drawWaterfall(svg, d) {
    // whole points: base + the reasons + the other factors by feature group = the displayed score
    const base = points(d.base_points);
    const total = points(d.score);
    const steps = d.reasons.map((r) => ({ label: r.label_zh, points: r.points_int }));
    for (const g of d.other_factors || []) steps.push({ label: g.label_zh, points: g.points_int });
    const rest = total - base - steps.reduce((s, r) => s + r.points, 0);
    if (rest !== 0) steps.push({ label: "其他因素合计", points: rest });
    const rows = [{ label: "基础分", from: 0, to: base, kind: "base" }];
    let level = base;
    for (const s of steps) { rows.push({ label: s.label, from: level, to: level + s.points, kind: s.points > 0 ? "up" : s.points < 0 ? "down" : "flat" }); level += s.points; }
    rows.push({ label: "最终评分", from: 0, to: total, kind: "total" });
    const values = rows.flatMap((r) => [r.from, r.to]);
    const lo = Math.min(...values.filter((v) => v > 0)) - 40, hi = Math.max(...values) + 20;
    const width = Math.max(280, Math.floor(svg.parentElement.clientWidth || 320));
    const labelW = Math.min(170, Math.round(width * 0.38)), valueW = 52, barH = 22, gap = 8;
    const height = rows.length * (barH + gap) + 10;
    const x = (v) => labelW + ((Math.max(v, lo) - lo) / (hi - lo)) * (width - labelW - valueW);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", height);
    svg.replaceChildren();
    const ns = "http://www.w3.org/2000/svg";
    rows.forEach((r, i) => {
      const y = 5 + i * (barH + gap);
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", labelW - 6); label.setAttribute("y", y + barH * 0.72); label.setAttribute("text-anchor", "end");
      const maxChars = Math.max(4, Math.floor((labelW - 8) / 12));
      label.textContent = r.label.length > maxChars ? `${r.label.slice(0, maxChars - 1)}…` : r.label;
      svg.appendChild(label);
      const a = r.kind === "base" || r.kind === "total" ? x(lo) : x(Math.min(r.from, r.to));
      const b = r.kind === "base" || r.kind === "total" ? x(r.to) : x(Math.max(r.from, r.to));
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", a); rect.setAttribute("y", y); rect.setAttribute("width", Math.max(2, b - a)); rect.setAttribute("height", barH);
      rect.setAttribute("class", `bar ${r.kind}`); svg.appendChild(rect);
      const value = document.createElementNS(ns, "text");
      value.setAttribute("x", Math.min(b + 4, width - 2)); value.setAttribute("y", y + barH * 0.72);
      if (b + 4 > width - valueW) value.setAttribute("text-anchor", "end");
      const delta = r.to - r.from;
      value.textContent = r.kind === "base" || r.kind === "total" ? r.to.toFixed(0) : `${delta >= 0 ? "+" : ""}${delta.toFixed(0)}`;
      svg.appendChild(value);
    });
  }

  function clear() {
    current = null;
    $("decision-card").hidden = true;
    for (const id of ["eligibility-list", "reasons", "what-would-change", "terms", "reviews", "card-notes", "conditions"]) {
      const el = $(id);
      if (el) el.replaceChildren();
    }
    const review = $("review-form");
    if (review) {
      review.reset();
      $("review-error").hidden = true;
    }
  }

  function render(pub) {
    current = pub;
    const d = pub.decision;
    $("decision-card").hidden = false;
    text($("decision-id"), `编号 ${d.decision_id}`);
    text($("applicant"), `家庭 ${d.household_id} · 申请人 ${pub.applicant_name_masked || ""} ${d.applicant_id_masked} · 申请日 ${d.as_of}`);
    text($("decided-at"), `决策时间 ${KZ.localTime(d.decided_at)}`);
    const badge = $("recommendation");
    text(badge, REC_ZH[d.recommendation]);
    badge.className = `badge ${d.recommendation}`;
    text($("score"), String(points(d.score)));
    text($("grade"), d.grade);
    text($("grade-band"), d.grade_band_zh || "");
    text($("pd"), pct(d.pd));
    text($("model-version"), `评分模型第${d.model.version}版 · 政策${d.policy_version}`);
    text($("review-note"), d.review_note_zh);
    const conditions = d.conditions || [];
    $("conditions").replaceChildren(...conditions.map((c) => item("li", `${c.text_zh}（满足前不得放款）`)));
    $("conditions").hidden = !conditions.length;
    $("card-notes").replaceChildren(...pub.notes.map((n) => {
      const li = item("li", n.message_zh); li.className = n.kind; return li;
    }));
    $("card-notes").hidden = !pub.notes.length;
    $("eligibility-list").replaceChildren(...pub.rules_zh.map((r) => {
      const row = document.createElement("div");
      row.className = `rule ${r.outcome}`;
      const head = document.createElement("div");
      head.className = "rule-head";
      head.append(item("strong", r.name_zh), item("span", r.outcome_zh));
      const body = document.createElement("dl");
      body.append(item("dt", "申请人情况"), item("dd", r.value_zh), item("dt", "标准"), item("dd", r.threshold_zh),
                  item("dt", "说明"), item("dd", r.message_zh));
      row.append(head, body);
      return row;
    }));
    drawWaterfall($("waterfall"), d);
    $("reasons").replaceChildren(...d.reasons.map((r) => item("li", r.text_zh)));
    const w = d.what_would_change;
    let items = ["暂无可行的改变建议"];
    if (w) {
      const changes = w.changes || [];
      items = [w.text_zh, ...(changes.length > 1 ? changes.map((c) => c.text_zh) : [])].filter(Boolean);
      if (w.status === "found" && w.score_after != null) items.push(`改变后评分约 ${points(w.score_after)}${w.grade_after ? `，评级 ${w.grade_after}` : ""}`);
    }
    $("what-would-change").replaceChildren(...items.map((t) => item("li", t)));
    if (d.terms) {
      const t = d.terms;
      // the rate's make-up as the model states it (each part once, adding up as shown), then each party's year
      if (t.limit > 0) {
        const parts = [`产品：${t.product_name}`, `额度：${yuan(t.limit)}`, `执行利率：${pct(t.rate)}`, `利率构成：${t.pricing_zh}`];
        if (t.subsidised) {
          parts.push(`财政贴息：${pct(t.finance_subsidy_rate)}，每年约 ${yuan(t.annual_subsidy_finance)}`,
                     `银行让利：${pct(t.bank_concession_total_rate)}，每年约 ${yuan(t.annual_concession_bank_total)}`);
        }
        $("terms").replaceChildren(...[...parts, t.explanation_zh].map((s) => item("p", s)));
      } else {  // a limit of 0 lends nothing: no rate, subsidy or concession, only why nothing is lent
        const why = t.notes.filter((n) => n.figure === "capacity" || n.figure === "limit").map((n) => n.text_zh).join("；");
        $("terms").replaceChildren(...[`产品：${t.product_name}`, "额度：0 元（不予授信）", why].map((s) => item("p", s)));
      }
    } else {
      $("terms").replaceChildren(item("p", "不提供产品（未通过准入或模型建议拒绝）"));
    }
    $("reviews").replaceChildren(...pub.reviews.map((r) => item("li",
      `${KZ.localTime(r.created_at)} · 复核人 ${r.reviewer} · ${ACTION_ZH[r.action]} · 最终：${FINAL_ZH[r.final_recommendation]} · 理由：${r.reason}`)));
    text($("final"), `当前结论：${REC_ZH[pub.final_recommendation]}（${pub.final_by === "model" ? "模型" : "信贷员复核"}）`);
  }

  async function submitReview(event) {
    event.preventDefault();
    const box = $("review-error");
    box.hidden = true;
    const body = { action: $("review-action").value, reason: $("review-reason").value.trim() };
    if ($("review-final").value) body.final_recommendation = $("review-final").value;
    const button = $("submit-review");
    button.disabled = true;
    try {
      const response = await KZ.api(`/v1/decisions/${current.decision.decision_id}/reviews`, { method: "POST", body: JSON.stringify(body) });
      render(await response.json());
      $("review-form").reset();
    } catch (err) {
      box.textContent = `复核未提交：${err.message}`;
      box.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  async function download() {
    const box = $("review-error");
    try {
      const response = await KZ.api(`/v1/decisions/${current.decision.decision_id}/approval-file`);
      const blob = await response.blob();
      const disposition = response.headers.get("Content-Disposition") || "";
      const name = (disposition.match(/filename="([^"]+)"/) || [null, "approval.pdf"])[1];
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (err) {
      box.textContent = `审批文件下载失败：${err.message}`;
      box.hidden = false;
    }
  }

  function wire() {
    $("review-form").addEventListener("submit", submitReview);
    $("download-approval").addEventListener("click", download);
    window.addEventListener("resize", () => { if (current) drawWaterfall($("waterfall"), current.decision); });
  }

  return { render, clear, wire, current: () => current };
})();
