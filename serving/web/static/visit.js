// The PAD page: the 采集表 filled at the door. Drafts live in the device's IndexedDB until the service has stored
// them; each draft carries its own id, so a draft sent twice (the network came back twice) is stored once.
"use strict";

(() => {
  const { $ } = KZ;
  const SPEC_KEY = "kuozhong-visit-spec";
  const MAX_PHOTOS = 6;
  const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const ID_CHECK = "10X98765432";
  let spec = {};
  let draft = null;
  let stream = null;
  let flushing = false;

  // ---- device storage (IndexedDB) ------------------------------------------------------------------------
  function db() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("kuozhong-pad", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("drafts", { keyPath: "draft_id" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function store(mode, work) {
    const handle = await db();
    return new Promise((resolve, reject) => {
      const tx = handle.transaction("drafts", mode);
      const request = work(tx.objectStore("drafts"));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const putDraft = (d) => store("readwrite", (s) => s.put(d));
  const dropDraft = (id) => store("readwrite", (s) => s.delete(id));
  const allDrafts = () => store("readonly", (s) => s.getAll());

  // ---- field checks: the service's own spec ----------------------------------------------------------------
  async function loadSpec() {
    try {
      const fields = (await (await KZ.api("/v1/visits/schema")).json()).fields;
      localStorage.setItem(SPEC_KEY, JSON.stringify(fields));
    } catch (_) { /* offline: the copy kept on the device */ }
    const kept = JSON.parse(localStorage.getItem(SPEC_KEY) || "[]");
    spec = Object.fromEntries(kept.map((f) => [f.field, f]));
  }

  function idProblem(value) {
    if (!/^\d{17}[\dX]$/.test(value)) return /^\d{17}/.test(value) ? "format" : "digits";
    const y = Number(value.slice(6, 10)), m = Number(value.slice(10, 12)), d = Number(value.slice(12, 14));
    const born = new Date(Date.UTC(y, m - 1, d));
    if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) return "birth";
    const total = ID_WEIGHTS.reduce((s, w, i) => s + w * Number(value[i]), 0);
    return ID_CHECK[total % 11] === value[17] ? null : "check";
  }

  function check(field, raw) {
    const rule = spec[field];
    if (!rule) return "";
    const m = rule.messages;
    const value = typeof raw === "string" ? raw.trim() : raw;
    if (value === "" || value == null) return rule.required ? m.required : "";
    if (rule.kind === "id") {
      const text = value.toUpperCase();
      if (rule.min_length && text.length < rule.min_length) return m.min_length;
      if (rule.max_length && text.length > rule.max_length) return m.max_length;
      const problem = idProblem(text);
      return problem ? m[problem] : "";
    }
    if (rule.kind === "int" || rule.kind === "number") {
      const n = Number(value);
      if (!Number.isFinite(n) || (rule.kind === "int" && !Number.isInteger(n))) return m.type;
      if (rule.ge != null && n < rule.ge) return m.ge;
      if (rule.gt != null && n <= rule.gt) return m.gt;
      if (rule.le != null && n > rule.le) return m.le;
      if (rule.lt != null && n >= rule.lt) return m.lt;
      if (rule.wan_yuan_below != null && n > 0 && n < rule.wan_yuan_below) return m.wan_yuan;
      return "";
    }
    if (rule.max_length != null && value.length > rule.max_length) return m.max_length;
    if (rule.pattern && !new RegExp(rule.pattern).test(value)) return m.pattern;
    if (rule.options && !(value in rule.options)) return m.options;
    return "";
  }

  function mark(input, message) {
    const label = input.closest("label") || input.parentElement;
    let note = label.querySelector(".field-error");
    if (!note) {
      note = document.createElement("small");
      note.className = "field-error";
      label.appendChild(note);
    }
    note.textContent = message;
    note.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }

  function checkInput(input) {
    const message = check(input.dataset.field, input.type === "checkbox" ? input.checked : input.value);
    mark(input, message);
    return message;
  }

  function checkAll() {
    const problems = [...document.querySelectorAll("#visit [data-field]")].map(checkInput).filter(Boolean);
    const incomes = [...document.querySelectorAll("[data-income]")];
    const group = spec["form.declared_income"];
    if (group && !incomes.some((i) => i.value.trim() !== "")) {
      mark(incomes[0], group.messages.required);
      problems.push(group.messages.required);
    }
    return problems;
  }

  // ---- the form <-> the draft ------------------------------------------------------------------------------
  function renumber() {
    [...$("v-members").children].forEach((row, i) => row.querySelectorAll("[data-part]").forEach((el) => {
      el.dataset.field = `form.members.${i}.${el.dataset.part}`;
    }));
    [...$("v-debts").children].forEach((row, i) => row.querySelectorAll("[data-part]").forEach((el) => {
      el.dataset.field = `form.debts.${i}.${el.dataset.part}`;
    }));
  }

  function addRow(template, box, values = {}) {
    const row = $(template).content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[data-part]").forEach((el) => { if (values[el.dataset.part] != null) el.value = values[el.dataset.part]; });
    row.querySelector("button").addEventListener("click", () => {
      if (box.id === "v-members" && box.children.length <= 1) return;
      row.remove(); renumber(); save();
    });
    box.appendChild(row);
    renumber();
    return row;
  }

  const value = (id) => $(id).value.trim();
  function put(target, key, v) { if (v !== "" && v != null) target[key] = v; }
  const num = (v) => (v === "" ? "" : Number(v));

  function payload(ended) {
    const form = { started_at: draft.started_at, ended_at: ended, applicant: {}, residence: {}, declared_income: {} };
    put(form.applicant, "id_number", value("v-id").toUpperCase());
    put(form.applicant, "name", value("v-name"));
    put(form.applicant, "phone", value("v-phone"));
    form.livelihood = $("v-livelihood").value;
    put(form.residence, "township", $("v-township").value);
    put(form.residence, "years_at_address", num(value("v-years")));
    form.residence.fixed_residence = $("v-fixed").checked;
    form.members = [...$("v-members").children].map((row) => {
      const m = {};
      row.querySelectorAll("[data-part]").forEach((el) => put(m, el.dataset.part, el.dataset.part === "age" ? num(el.value.trim()) : el.value.trim()));
      if (m.id_number) m.id_number = m.id_number.toUpperCase();
      return m;
    });
    let total = 0;
    document.querySelectorAll("[data-income]").forEach((el) => {
      if (el.value.trim() !== "") { form.declared_income[el.dataset.income] = Number(el.value); total += Number(el.value); }
    });
    if (Object.keys(form.declared_income).length) form.declared_income.total = total;
    form.assets = { fishing_boat: $("v-boat").checked, house: $("v-house").checked };
    form.debts = [...$("v-debts").children].map((row) => {
      const d = {};
      row.querySelectorAll("[data-part]").forEach((el) => put(d, el.dataset.part, el.dataset.part === "lender" ? el.value.trim() : num(el.value.trim())));
      return d;
    });
    put(form, "requested_amount", num(value("v-amount")));
    form.purpose = $("v-purpose").value;
    form.declaration_signed = $("v-declaration").checked;
    if (draft.gps) form.gps = draft.gps;
    return { draft_id: draft.draft_id, household_id: value("v-household") || null, form, photos: draft.photos };
  }

  function fill(d) {
    const p = d.values || {};
    for (const [id, v] of Object.entries(p.inputs || {})) { const el = $(id); if (el) { if (el.type === "checkbox") el.checked = v; else el.value = v; } }
    $("v-members").replaceChildren();
    (p.members && p.members.length ? p.members : [{ relation: "户主" }]).forEach((m) => addRow("member-row", $("v-members"), m));
    $("v-debts").replaceChildren();
    (p.debts || []).forEach((m) => addRow("debt-row", $("v-debts"), m));
    document.querySelectorAll("[data-income]").forEach((el) => { el.value = (p.income || {})[el.dataset.income] ?? ""; });
    showPhotos();
    showPosition();
    $("started-at").textContent = `开始于 ${KZ.localTime(d.started_at)}`;
  }

  function values() {
    const inputs = {};
    for (const id of ["v-household", "v-id", "v-name", "v-phone", "v-township", "v-years", "v-fixed", "v-livelihood",
                      "v-boat", "v-house", "v-amount", "v-purpose", "v-declaration"]) {
      const el = $(id);
      inputs[id] = el.type === "checkbox" ? el.checked : el.value;
    }
    const rows = (box) => [...box.children].map((row) => Object.fromEntries(
      [...row.querySelectorAll("[data-part]")].map((el) => [el.dataset.part, el.value])));
    const income = Object.fromEntries([...document.querySelectorAll("[data-income]")].map((el) => [el.dataset.income, el.value]));
    return { inputs, members: rows($("v-members")), debts: rows($("v-debts")), income };
  }

  let saveTimer = null;
  function save() {
    if (!draft || draft.status !== "editing") return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => { draft.values = values(); putDraft(draft); }, 250);
  }

  async function newDraft() {
    draft = { draft_id: KZ.newId(), status: "editing", started_at: new Date().toISOString(), photos: [], gps: null, values: null };
    $("visit").reset();
    fill(draft);
    await putDraft(draft);
    locate();
  }

  // ---- position and photos -------------------------------------------------------------------------------
  function showPosition() {
    const g = draft && draft.gps;
    $("v-position").textContent = g ? `已定位：北纬${g.lat.toFixed(5)}°，东经${g.lon.toFixed(5)}°（精度约${Math.round(g.accuracy_m || 0)}米）`
      : "尚未定位（请允许浏览器使用位置）";
  }

  function locate() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition((pos) => {
      draft.gps = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy };
      showPosition(); save(); putDraft(draft);
    }, () => { $("v-position").textContent = "无法定位：请在浏览器设置中允许使用位置后点“重新定位”"; },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function showPhotos() {
    $("v-photos").replaceChildren(...(draft ? draft.photos : []).map((src, k) => {
      const img = document.createElement("img"); img.src = src; img.alt = `现场照片${k + 1}`; return img;
    }));
  }

  function keepPhoto(source, width, height) {
    if (draft.photos.length >= MAX_PHOTOS) { $("v-errors").textContent = `最多${MAX_PHOTOS}张照片`; $("v-errors").hidden = false; return; }
    const scale = Math.min(1, 640 / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale); canvas.height = Math.round(height * scale);
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    draft.photos.push(canvas.toDataURL("image/jpeg", 0.7));
    showPhotos(); putDraft(draft);
  }

  async function openCamera() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      $("v-camera").srcObject = stream;
      $("v-camera").hidden = false;
      $("v-shoot").hidden = false;
    } catch (_) {
      $("v-errors").textContent = "无法打开相机：请允许使用相机，或用“选择照片”";
      $("v-errors").hidden = false;
    }
  }

  function shoot() {
    const video = $("v-camera");
    if (video.videoWidth) keepPhoto(video, video.videoWidth, video.videoHeight);
  }

  function pickFile() {
    const file = $("v-file").files[0];
    if (!file) return;
    const img = new Image();
    img.onload = () => { keepPhoto(img, img.naturalWidth, img.naturalHeight); URL.revokeObjectURL(img.src); };
    img.src = URL.createObjectURL(file);
    $("v-file").value = "";
  }

  // ---- sending --------------------------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    const problems = checkAll();
    if (problems.length) {
      $("v-errors").textContent = `请先改正标红的${problems.length}处：${problems[0]}`;
      $("v-errors").hidden = false;
      return;
    }
    $("v-errors").hidden = true;
    draft.values = values();
    draft.payload = payload(new Date().toISOString());
    draft.status = "queued";
    await putDraft(draft);
    if (stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; $("v-camera").hidden = true; $("v-shoot").hidden = true; }
    await newDraft();
    await flush();
  }

  async function showOutbox() {
    const queued = (await allDrafts()).filter((d) => d.status !== "editing");
    $("network-state").textContent = navigator.onLine ? "（在线）" : "（离线：采集表保存在本机，联网后自动发送）";
    $("outbox-summary").textContent = queued.length ? `本机有${queued.length}份采集表待发送` : "没有待发送的采集表";
    $("outbox").replaceChildren(...queued.map((d) => {
      const li = document.createElement("li");
      const who = d.payload.form.applicant.name || "（未填姓名）";
      li.append(`${KZ.localTime(d.started_at)} · ${who.slice(0, 1)}** · ${d.status === "rejected" ? `未通过检查：${d.error}` : "等待网络"}`);
      if (d.status === "rejected") {
        const edit = Object.assign(document.createElement("button"), { type: "button", textContent: "载入修改", className: "secondary" });
        edit.addEventListener("click", async () => {
          await dropDraft(draft.draft_id);
          draft = Object.assign(d, { status: "editing" });
          fill(draft); await putDraft(draft); showOutbox();
        });
        li.append(" ", edit);
      }
      return li;
    }));
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (const d of (await allDrafts()).filter((x) => x.status === "queued")) {
        if (!navigator.onLine) break;
        let stored;
        try {
          stored = await (await KZ.api("/v1/visits", { method: "POST", body: JSON.stringify(d.payload) })).json();
        } catch (err) {
          if (err.status === 0 || err.status >= 500) break;  // no network: the draft stays on the device
          d.status = "rejected"; d.error = err.message; await putDraft(d);
          continue;
        }
        await dropDraft(d.draft_id);
        await sent(d, stored);
      }
    } finally {
      flushing = false;
      await showOutbox();
    }
  }

  async function sent(d, stored) {
    $("sent-panel").hidden = false;
    $("sent-result").textContent = `已提交：家庭 ${stored.household_id} · 申请人 ${stored.id_masked} · ${KZ.localTime(stored.visited_at)}`
      + ` · 照片${stored.photo_count}张`;
    const form = d.payload.form;
    if (form.requested_amount && form.purpose) {
      Card.clear();
      try {
        const body = { source: "household", household_id: stored.household_id, application_date: KZ.today(),
                       requested_amount: form.requested_amount, purpose: form.purpose };
        const decision = await (await KZ.api("/v1/decisions", { method: "POST", body: JSON.stringify(body),
          headers: { "Idempotency-Key": `visit-${d.draft_id}` } })).json();
        Card.render(decision);
        $("open-officer").href = `/officer?decision=${decision.decision.decision_id}`;
      } catch (err) {
        $("sent-result").textContent += `；未能生成决策：${err.message}`;
      }
    }
    await myVisits();
  }

  async function myVisits() {
    try {
      const visits = await (await KZ.api("/v1/visits")).json();
      $("visits-panel").hidden = false;
      $("my-visits").replaceChildren(...visits.map((v) => {
        const li = document.createElement("li");
        li.dataset.visitId = v.visit_id;
        const where = v.lat != null ? `北纬${v.lat.toFixed(5)}°，东经${v.lon.toFixed(5)}°` : "无定位";
        const state = Object.assign(document.createElement("span"), {
          className: v.doubtful_reasons ? "doubtful" : "ok",
          textContent: v.doubtful_reasons ? `存疑：${v.doubtful_reasons}` : "走访记录正常" });
        li.append(`${KZ.localTime(v.visited_at)} · 家庭 ${v.household_id} · ${v.township} · ${where} · 时长${Math.round(v.duration_min)}分钟 · 照片${v.photo_count}张 · `, state);
        const photos = document.createElement("div");
        photos.className = "photos";
        li.append(photos);
        for (let k = 0; k < v.photo_count; k += 1) {
          KZ.api(`/v1/visits/${v.visit_id}/photos/${k}`).then((r) => r.blob()).then((blob) => {
            const img = document.createElement("img"); img.src = URL.createObjectURL(blob); img.alt = `现场照片${k + 1}`; photos.append(img);
          }).catch(() => {});
        }
        return li;
      }));
    } catch (_) { /* offline: the list waits for the network */ }
  }

  async function ready() {
    $("visit").hidden = false;
    $("outbox-panel").hidden = false;
    await loadSpec();
    const editing = (await allDrafts()).find((d) => d.status === "editing");
    if (editing) { draft = editing; fill(draft); if (!draft.gps) locate(); } else { await newDraft(); }
    await flush();
    await myVisits();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("visit").addEventListener("input", (e) => { if (e.target.dataset.field) checkInput(e.target); save(); });
    $("visit").addEventListener("change", save);
    $("visit").addEventListener("submit", submit);
    $("v-add-member").addEventListener("click", () => { addRow("member-row", $("v-members"), { relation: "配偶" }); save(); });
    $("v-add-debt").addEventListener("click", () => { addRow("debt-row", $("v-debts")); save(); });
    $("v-locate").addEventListener("click", locate);
    $("v-open-camera").addEventListener("click", openCamera);
    $("v-shoot").addEventListener("click", shoot);
    $("v-file").addEventListener("change", pickFile);
    $("v-discard").addEventListener("click", async () => { await dropDraft(draft.draft_id); await newDraft(); });
    window.addEventListener("online", flush);
    window.addEventListener("offline", showOutbox);
    setInterval(() => { if (navigator.onLine) flush(); }, 5000);
    Card.wire();
    KZ.wireSignIn(ready);
  });
})();
