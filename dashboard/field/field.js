// The team lead's phone page: this team's sessions, the way there, and the results entered on the spot.
// Every entry is kept on the phone (localStorage) until the server says it is stored, and sent again whenever the
// connection returns, so a dropped connection loses nothing typed. Text from the server is set as text, never markup.
"use strict";

(function () {
  const token = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const QUEUE = "field-queue:" + token;
  const VIEW = "field-view:" + token;
  const LANG = "field-lang";
  const COUNTS = ["consultations", "applications", "members_joined", "staff"];
  const LABELS = {
    consultations: ["现场咨询人数", "Consultations"],
    applications: ["现场申请入会人数", "Applications on site"],
    members_joined: ["发展会员数", "Members developed"],
    staff: ["工作人员数", "Staff at the stall"],
  };
  const STATES = {
    reported: ["已填报", "Reported"],
    cancelled: ["未开展", "Not held"],
    overdue: ["未填报", "Not reported"],
    today: ["今天", "Today"],
    upcoming: ["未到", "Upcoming"],
    pending: ["待发送（已存在手机上）", "Waiting to send (kept on this phone)"],
  };
  const APPS = { amap: ["高德地图", "Amap"], baidu: ["百度地图", "Baidu"], apple: ["苹果地图", "Apple Maps"],
    geo: ["其他地图", "Other map app"] };
  const WEEKDAYS = [["周一", "Mon"], ["周二", "Tue"], ["周三", "Wed"], ["周四", "Thu"], ["周五", "Fri"],
    ["周六", "Sat"], ["周日", "Sun"]];
  let lang = localStorage.getItem(LANG) === "en" ? "en" : "zh";
  let view = null;
  let flushing = false;
  const notes = {}; // key -> {problems, saved} shown under the card after the last attempt

  const t = (pair) => (lang === "zh" ? pair[0] : pair[1]);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c) node.appendChild(c);
    return node;
  };
  const queue = () => {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "{}"); } catch (e) { return {}; }
  };
  const keep = (q) => localStorage.setItem(QUEUE, JSON.stringify(q));

  function banner(text, ok) {
    const node = document.getElementById("network");
    node.hidden = !text;
    node.textContent = text || "";
    node.className = "banner" + (ok ? " ok" : "");
  }

  function navLinks(links) {
    const ios = /iphone|ipad/i.test(navigator.userAgent);
    const order = ios ? ["apple", "amap", "baidu"] : ["amap", "baidu", "geo"];
    const box = el("div", { class: "nav" });
    order.filter((k) => links && links[k]).forEach((k, i) => {
      box.appendChild(el("a", { href: links[k], rel: "noreferrer", class: i === 0 ? "first" : "", text: t(APPS[k]) }));
    });
    return box.childNodes.length ? box : null;
  }

  const OUTCOMES = [["held", "已沟通", "Met"], ["interested", "有意向", "Interested"],
    ["founded", "已建会", "Union founded"], ["joint", "联合建会", "Joined a joint union"],
    ["declined", "暂不建会", "Not for now"]];

  function visitForm(s, pending) {
    // one row per enterprise of the visit: what came of it, the members at a founding, the reason for a decline
    const sent = pending ? pending.entry.visits || [] : [];
    const form = el("form", { novalidate: true });
    for (const e of s.enterprises || []) {
      const before = sent.find((x) => x.enterprise_id === e.id) || (s.outcomes || {})[e.id] || {};
      const select = el("select", { name: "outcome", "data-id": e.id, class: "outcome" });
      select.appendChild(el("option", { value: "", text: t(["选择沟通结果", "Choose the outcome"]) }));
      for (const [key, zh, en] of OUTCOMES) {
        if (key === "joint" && (s.enterprises || []).length < 2) continue;
        select.appendChild(el("option", { value: key, text: lang === "zh" ? zh : en, selected: before.outcome === key }));
      }
      const members = el("input", { type: "number", inputmode: "numeric", min: "0", step: "1", name: "members",
        value: before.members === null || before.members === undefined ? "" : String(before.members) });
      const reason = el("input", { type: "text", name: "reason", maxlength: "200", value: before.reason || "",
        placeholder: t(["例如：总部统一安排、经营困难", "e.g. head office decides, hard times"]) });
      const membersBox = el("label", { class: "founded" }, document.createTextNode(t(["建会会员数", "Members at founding"])), members);
      const reasonBox = el("label", { class: "declined" }, document.createTextNode(t(["暂不建会原因", "Why not now"])), reason);
      const show = () => {
        membersBox.hidden = !["founded", "joint"].includes(select.value);
        reasonBox.hidden = select.value !== "declined";
      };
      select.addEventListener("change", show);
      show();
      form.appendChild(el("div", { class: "enterprise", "data-id": e.id },
        el("div", { class: "site", text: e.name + (e.staff ? t([` · ${e.staff}人`, ` · ${e.staff} staff`]) : "") }),
        select, membersBox, reasonBox));
    }
    return form;
  }

  function card(s) {
    const pending = queue()[s.key];
    const stateKey = pending ? "pending" : s.state;
    const head = el("div", {},
      el("div", { class: "when", text: `${s.date.slice(5)} ${t(WEEKDAYS[s.weekday])} ${s.start}–${s.end}` }),
      el("div", { class: "site", text: s.site }),
      el("span", { class: "state " + stateKey, text: t(STATES[stateKey]) }),
    );
    if (s.kind === "visit") {
      if (s.order) head.firstChild.textContent += t([` · 第${s.order}站`, ` · stop ${s.order}`]);
      if (s.address) head.appendChild(el("div", { class: "muted", text: s.address }));
      if (s.probability !== null) {
        head.appendChild(el("span", { class: "muted", text: "  " + t([`建会概率 ${Math.round(s.probability * 100)}%，预计发展会员约 ${s.expected}`,
          `P(founding) ${Math.round(s.probability * 100)}%, about ${s.expected} members expected`]) }));
      }
    } else if (s.expected !== null) {
      head.appendChild(el("span", { class: "muted", text: "  " + t(["预计申请约 ", "expect about "]) + s.expected }));
    }
    const node = el("section", { class: "card " + s.state, "data-key": s.key }, head, navLinks(s.links));
    if (s.future) {
      node.appendChild(el("p", { class: "muted", text: t([`${s.date.slice(5)} 当天即可填报结果。`,
        `Results can be entered from ${s.date.slice(5)}.`]) }));
      return node;
    }
    const values = (pending && pending.entry) || s.reported || {};
    const visit = s.kind === "visit";
    const form = visit ? visitForm(s, pending) : el("form", { novalidate: true });
    if (!visit) {
      const grid = el("div", { class: "grid" });
      for (const name of COUNTS) {
        const input = el("input", { type: "number", inputmode: "numeric", min: "0", step: "1", name,
          value: values[name] === null || values[name] === undefined ? "" : String(values[name]) });
        grid.appendChild(el("label", {}, document.createTextNode(t(LABELS[name])), input));
      }
      form.appendChild(grid);
    }
    const note = el("textarea", { name: "notes", maxlength: "500", placeholder: t(["备注（可不填）", "Note (optional)"]) });
    note.value = values.notes || (s.state === "cancelled" && s.note) || "";
    form.appendChild(el("label", {}, document.createTextNode(t(["备注", "Note"])), note));
    const cancelled = el("input", { type: "checkbox", name: "cancelled" });
    cancelled.checked = pending ? !!pending.entry.cancelled : s.state === "cancelled";
    form.appendChild(el("label", { class: "check" }, cancelled,
      document.createTextNode(t(["未开展（没有举办，备注写原因）", "Not held (say why in the note)"]))));
    const done = visit ? s.state === "reported" : s.reported;
    const save = el("button", { type: "submit", class: "save",
      text: done ? t(["更正并保存", "Correct and save"]) : t(["保存", "Save"]) });
    form.appendChild(save);
    form.addEventListener("submit", (event) => { event.preventDefault(); submit(s, form); });
    if (s.date === view.today || pending || (notes[s.key] && notes[s.key].problems)) {
      node.appendChild(form);
    } else { // another day's form folds away, so a week of sessions fits a thumb's scroll
      const fold = el("details", {}, el("summary", { class: "fold",
        text: s.reported ? t(["查看或更正结果", "See or correct the results"]) : t(["填报这一场", "Enter this session's results"]) }));
      fold.firstChild.textContent = done ? t(["查看或更正结果", "See or correct the results"]) :
        visit ? t(["填报这次走访", "Enter this visit's outcome"]) : t(["填报这一场", "Enter this session's results"]);
      fold.appendChild(form);
      node.appendChild(fold);
    }
    const shown = notes[s.key];
    if (shown && shown.problems && shown.problems.length) {
      const list = el("ul", { class: "problems" });
      shown.problems.forEach((p) => list.appendChild(el("li", { text: t([p.zh, p.en]) })));
      node.appendChild(list);
    } else if (shown && shown.saved) {
      node.appendChild(el("p", { class: "saved", text: t(["✓ 已保存到系统", "✓ Stored"]) }));
      (shown.warnings || []).forEach((w) => node.appendChild(el("p", { class: "muted", text: "⚠ " + t([w.zh, w.en]) })));
    }
    return node;
  }

  function render() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.getElementById("lang").textContent = lang === "zh" ? "English" : "中文";
    const main = document.getElementById("sessions");
    main.textContent = "";
    if (!view) return;
    document.getElementById("title").textContent = lang === "zh" ? view.team : view.team_en;
    document.getElementById("subtitle").textContent = view.plan;
    document.getElementById("footer").textContent = t(["链接有效期至 ", "This link works until "]) +
      view.expires.slice(0, 10);
    const today = new Date(view.today + "T00:00:00");
    const sunday = new Date(today.getTime() + ((7 - ((today.getDay() + 6) % 7)) - 1) * 86400000);
    const weekEnd = `${sunday.getFullYear()}-${String(sunday.getMonth() + 1).padStart(2, "0")}-${String(sunday.getDate()).padStart(2, "0")}`;
    const groups = [
      [["今天", "Today"], (s) => s.date === view.today],
      [["之前还没填报的", "Earlier, not reported yet"], (s) => s.date < view.today && s.state === "overdue"],
      [["本周其他场次", "The rest of this week"], (s) => s.date !== view.today && s.state !== "overdue" && s.date <= weekEnd],
      [["下一周的场次", "The week ahead"], (s) => s.date > weekEnd],
    ];
    let any = false;
    for (const [title, test] of groups) {
      const mine = view.sessions.filter(test);
      if (!mine.length) continue;
      any = true;
      main.appendChild(el("h2", { text: t(title) }));
      mine.forEach((s) => main.appendChild(card(s)));
    }
    if (!any) main.appendChild(el("p", { class: "muted", text: t(["本周没有本组的场次。", "No sessions for your team this week."]) }));
    const waiting = Object.keys(queue()).length;
    if (waiting && !navigator.onLine) {
      banner(t([`没有网络：${waiting} 条已保存在手机上，恢复网络后自动发送。`,
        `Offline: ${waiting} kept on this phone, sent when the connection returns.`]));
    }
  }

  function submit(s, form) {
    const entry = { key: s.key, cancelled: form.elements.cancelled.checked,
      notes: form.elements.notes.value.trim() || null };
    const problems = [];
    if (s.kind === "visit") {
      entry.visits = [];
      for (const box of form.querySelectorAll(".enterprise")) {
        const outcome = box.querySelector("select").value;
        const members = box.querySelector("input[name=members]").value.trim();
        const reason = box.querySelector("input[name=reason]").value.trim();
        if (!outcome) continue;
        const item = { enterprise_id: box.getAttribute("data-id"), outcome };
        if (["founded", "joint"].includes(outcome)) {
          const n = Number(members);
          if (members === "" || !Number.isInteger(n) || n < 0) {
            problems.push({ zh: "建会请填写建会会员数（整数）", en: "A founding needs the members who joined" });
          }
          item.members = n;
          item.founded_on = s.date;
        }
        if (outcome === "declined") {
          if (!reason) problems.push({ zh: "暂不建会请写原因", en: "Say why not now" });
          item.reason = reason;
        }
        entry.visits.push(item);
      }
      if (!entry.cancelled && !entry.visits.length) {
        problems.push({ zh: "请选择沟通结果（没有去请勾选“未开展”）。", en: "Choose an outcome (or tick 'Not held')." });
      }
      if (problems.length) { notes[s.key] = { problems }; render(); return; }
      const q = queue();
      q[s.key] = { entry, at: Date.now() };
      keep(q);
      notes[s.key] = null;
      render();
      flush();
      return;
    }
    for (const name of COUNTS) {
      const text = form.elements[name].value.trim();
      if (text === "") { entry[name] = null; continue; }
      const n = Number(text);
      if (!Number.isInteger(n) || n < 0) problems.push({ zh: `${LABELS[name][0]}应为整数`, en: `${LABELS[name][1]}: a whole number` });
      entry[name] = n;
    }
    if (!entry.cancelled && (entry.consultations === null || entry.applications === null)) {
      problems.push({ zh: "请填写现场咨询人数和申请入会人数（没有举办请勾选“未开展”）。",
        en: "Enter consultations and applications (or tick 'Not held')." });
    }
    if (problems.length) { notes[s.key] = { problems }; render(); return; }
    const q = queue();
    q[s.key] = { entry, at: Date.now() };
    keep(q);
    notes[s.key] = null;
    render();
    flush();
  }

  async function flush() {
    if (flushing) return;
    const q = queue();
    const keys = Object.keys(q);
    if (!keys.length) return;
    flushing = true;
    try {
      for (const key of keys) {
        let response;
        try {
          response = await fetch(`/api/field/${encodeURIComponent(token)}/report`, {
            method: "POST", headers: { "Content-Type": "application/json" }, credentials: "omit",
            body: JSON.stringify(q[key].entry), cache: "no-store",
          });
        } catch (e) {
          const waiting = Object.keys(queue()).length;
          banner(t([`网络中断：${waiting} 条已保存在手机上，恢复网络后自动发送。`,
            `No connection: ${waiting} kept on this phone, sent when the connection returns.`]));
          return;
        }
        let answer = {};
        try { answer = await response.json(); } catch (e) { answer = {}; }
        if (response.status >= 500 || answer.retry) {
          banner(t(["服务器暂时无法保存，稍后自动重试。", "The server cannot store it just now; retrying soon."]));
          return;
        }
        const current = queue();
        delete current[key];
        keep(current);
        const s = view && view.sessions.find((x) => x.key === key);
        if (response.status === 410) { notes[key] = { problems: answer.problems || [] }; view = null; showGone(answer); return; }
        if (answer.ok) {
          notes[key] = { saved: true, warnings: answer.warnings || [] };
          if (s) {
            const sent = q[key].entry;
            s.state = answer.state;
            if (s.kind === "visit") {
              s.outcomes = {};
              (sent.visits || []).forEach((v) => { s.outcomes[v.enterprise_id] = v; });
            } else {
              s.reported = answer.state === "reported" ? sent : null;
            }
            s.note = sent.cancelled ? sent.notes : null;
          }
        } else {
          notes[key] = { problems: answer.problems || [{ zh: "没有保存。", en: "Not stored." }] };
        }
      }
      banner(navigator.onLine ? t(["已全部发送。", "Everything is sent."]) : "", true);
      setTimeout(() => { if (!Object.keys(queue()).length) banner(""); }, 4000);
    } finally {
      flushing = false;
      render();
    }
  }

  function showGone(answer) {
    const main = document.getElementById("sessions");
    main.textContent = "";
    (answer.problems || []).forEach((p) => main.appendChild(el("p", { class: "card", text: t([p.zh, p.en]) })));
  }

  async function load() {
    try {
      const response = await fetch(`/api/field/${encodeURIComponent(token)}`, { credentials: "omit", cache: "no-store" });
      const answer = await response.json();
      if (response.status === 410) { localStorage.removeItem(VIEW); showGone(answer); return; }
      view = answer;
      localStorage.setItem(VIEW, JSON.stringify(view));
    } catch (e) {
      try { view = JSON.parse(localStorage.getItem(VIEW) || "null"); } catch (e2) { view = null; }
      banner(t(["没有网络：显示的是上次打开时的内容，填写的结果会先保存在手机上。",
        "Offline: showing what was loaded last; results are kept on this phone until sent."]));
    }
    render();
    flush();
  }

  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem(LANG, lang);
    render();
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  setInterval(() => { if (Object.keys(queue()).length) flush(); }, 8000);
  load();
})();
