// The loan officer's page: find a household, decide once per click, read the card, review. Chinese only.
"use strict";

(() => {
  const { $ } = KZ;
  let mode = "household";

  function showError(message) {
    const box = $("error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // Each new lookup starts clean: no previous card, error or review form.
  function startLookup() {
    showError("");
    Card.clear();
  }

  function setMode(next) {
    mode = next;
    $("mode-household").classList.toggle("active", next === "household");
    $("mode-form").classList.toggle("active", next === "form");
    $("visit-form").hidden = next !== "form";
    startLookup();
  }

  function addMember(relation) {
    const row = $("member-row").content.firstElementChild.cloneNode(true);
    if (relation) row.querySelector(".m-relation").value = relation;
    row.querySelector(".m-remove").addEventListener("click", () => {
      if ($("f-members").children.length > 1) row.remove();
    });
    $("f-members").appendChild(row);
    return row;
  }

  function members() {
    return [...$("f-members").children].map((row) => {
      const member = { relation: row.querySelector(".m-relation").value,
                       civil_capacity: row.querySelector(".m-capacity").value, health: row.querySelector(".m-health").value };
      const age = row.querySelector(".m-age").value.trim();
      if (age !== "") member.age = Number(age);  // left empty, the service asks for it by name
      return member;
    });
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
      body.visit = {
        visited_at: `${body.application_date}T09:00:00`,
        applicant: { id_number: $("f-id-number").value.trim().toUpperCase(), name: $("f-name").value.trim(),
                     phone: $("f-phone").value.trim() },
        livelihood: $("f-livelihood").value,
        residence: { fixed_residence: $("f-fixed-residence").checked, township: $("f-township").value,
                     years_at_address: Number($("f-years").value) },
        members: members(),  // the household's size is this list: nobody is added who was not entered
        declared_income: { main: Number($("f-income").value) },
        declaration_signed: $("f-declaration").checked,
      };
    }
    return body;
  }

  async function submitApplication(event) {
    event.preventDefault();
    const button = $("submit-decision");
    if (button.disabled) return;
    startLookup();
    button.disabled = true;
    $("busy").hidden = false;
    try {
      // One key per click: a resent request returns the decision already made, never a second one.
      const response = await KZ.api("/v1/decisions", { method: "POST", body: JSON.stringify(applicationBody()),
                                                       headers: { "Idempotency-Key": KZ.newId() } });
      Card.render(await response.json());
    } catch (err) {
      showError(`未能生成决策：${err.message}`);
    } finally {
      button.disabled = false;
      $("busy").hidden = true;
    }
  }

  async function search(event) {
    event.preventDefault();
    startLookup();
    const list = $("search-results");
    list.replaceChildren();
    try {
      const found = await (await KZ.api(`/v1/households/search?q=${encodeURIComponent($("search-q").value.trim())}`)).json();
      if (!found.length) {
        list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "本乡镇没有找到符合的家庭" }));
        return;
      }
      list.replaceChildren(...found.map((h) => {
        const li = document.createElement("li");
        const pick = Object.assign(document.createElement("button"), { type: "button", textContent: "选择" });
        pick.className = "secondary";
        pick.addEventListener("click", () => {
          setMode("household");
          $("household-id").value = h.household_id;
          list.replaceChildren();
        });
        li.append(`${h.household_id} · ${h.name_masked || "—"} · ${h.id_masked || "—"} · ${h.phone_masked || "—"} · ${h.township}`
                  + ` · 最新记录 ${h.newest_record || "无"} `, pick);
        return li;
      }));
    } catch (err) {
      showError(`查找失败：${err.message}`);
    }
  }

  async function ready() {
    $("work").hidden = false;
    const wanted = new URLSearchParams(location.search).get("decision");
    if (wanted) {
      try {
        Card.render(await (await KZ.api(`/v1/decisions/${encodeURIComponent(wanted)}`)).json());
      } catch (err) {
        showError(`未能打开决策：${err.message}`);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("application-date").value = KZ.today();
    addMember("户主");
    $("f-add-member").addEventListener("click", () => addMember("配偶"));
    $("mode-household").addEventListener("click", () => setMode("household"));
    $("mode-form").addEventListener("click", () => setMode("form"));
    $("application").addEventListener("submit", submitApplication);
    $("search-form").addEventListener("submit", search);
    Card.wire();
    KZ.wireSignIn(ready);
  });
})();
