// callgate operations center: fills the pages from /api/ and keeps them live with /api/events.
"use strict";
const $ = (s) => document.querySelector(s);
const csrf = () => (document.querySelector('meta[name="csrf"]') || {}).content;
const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const secs = (s) => s == null ? "–" : (s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`);
const pct = (x) => x == null ? "–" : `${(100 * x).toFixed(0)} %`;
const num = (x, d = 1) => x == null ? "–" : x.toFixed(d);
const when = (ms) => ms == null ? "" : new Date(ms).toLocaleString();

async function api(path, opts = {}) {
  opts.headers = Object.assign({"Content-Type": "application/json", "X-CSRF-Token": csrf()}, opts.headers || {});
  const r = await fetch(path, opts);
  const body = await r.json().catch(() => ({}));
  if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); }
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function stream(path, handlers) {
  const es = new EventSource(path);
  const status = $("#status");
  es.onopen = () => { if (status) status.textContent = "live"; };
  es.onerror = () => { if (status) status.textContent = "reconnecting…"; };
  for (const [kind, fn] of Object.entries(handlers)) es.addEventListener(kind, (e) => fn(JSON.parse(e.data)));
  return es;
}

// -- the wallboard ---------------------------------------------------------------------------
// A supervisor in an agent's call, on both rows: "listen: 203" beside the agent's state, "listen 201" beside the supervisor's.
function supervision(a) {
  if (a.supervised) return ` <span class="sup ${esc(a.supervised.mode)}" title="supervisor ${esc(a.supervised.by)}">${esc(a.supervised.mode)}: ${esc(a.supervised.by)}</span>`;
  if (a.supervising) return ` <span class="sup ${esc(a.supervising.mode)}" title="supervising ${esc(a.supervising.agent)}">${esc(a.supervising.mode)} ${esc(a.supervising.agent)}</span>`;
  return "";
}

function renderFloor(floor) {
  const w = $("#waiting tbody");
  w.innerHTML = floor.waiting.length ? floor.waiting.map((q) =>
    `<tr><td>${esc(q.queue)}</td><td class="big" data-queue="${esc(q.queue)}">${q.waiting}</td><td class="since" data-since="${Date.now() / 1000 - q.longest_wait_s}">${secs(q.longest_wait_s)}</td></tr>`).join("")
    : `<tr><td colspan="3" class="muted">nobody is waiting</td></tr>`;
  $("#tiles").dataset.waiting = floor.waiting_total;
  const t = $("#tile-waiting"); if (t) t.textContent = floor.waiting_total;
  $("#agents tbody").innerHTML = floor.agents.map((a) =>
    `<tr data-ext="${esc(a.ext)}"><td>${esc(a.ext)}</td><td>${esc(a.name || "")}</td><td><span class="state ${esc(a.state)}">${esc(a.state)}</span>${supervision(a)}</td>` +
    `<td class="since" data-since="${Date.now() / 1000 - a.in_state_s}">${secs(a.in_state_s)}</td><td>${a.calls}</td></tr>`).join("");
}

function renderWallboard(d) {
  const f = d.figures, today = f.today;
  const tile = (label, value, id, cls = "") => `<div class="tile ${cls}"><div class="label">${label}</div><div class="value" id="${id}">${value}</div></div>`;
  $("#tiles").innerHTML = tile("Waiting", d.floor.waiting_total, "tile-waiting") +
    tile(`Service level today (${d.target_s} s)`, pct(today.service_level), "tile-sl", today.service_level != null && d.alarms.length ? "bad" : "") +
    tile("Calls today", today.calls, "tile-calls") + tile("Answered", today.answered, "tile-answered") +
    tile("Abandon rate", pct(today.abandon_rate), "tile-abandon") + tile("ASA", secs(today.asa_s), "tile-asa") +
    tile("AHT", secs(today.aht_s), "tile-aht") + tile("Survey", num(today.survey_average, 2), "tile-survey");
  $("#alarms").innerHTML = d.alarms.map((a) => `<p class="alarm">⚠ ${esc(a)}</p>`).join("");
  $("#sl tbody").innerHTML = [["today", "Today"], ["last_60_min", "Last 60 min"], ["last_15_min", "Last 15 min"]].map(([k, label]) => {
    const s = f[k];
    return `<tr data-window="${k}"><th>${label}</th><td>${s.calls}</td><td>${s.answered}</td><td>${s.abandoned}</td><td>${pct(s.service_level)}</td>` +
      `<td>${pct(s.service_level_with_abandoned)}</td><td>${secs(s.asa_s)}</td><td>${secs(s.aht_s)}</td><td>${num(s.survey_average, 2)}</td></tr>`;
  }).join("");
  renderFloor(d.floor);
  renderChart(d.chart, d.floor.waiting_total);
}

function renderChart(buckets, waiting) {
  const W = 720, H = 160, pad = 28, n = buckets.length || 1, bw = (W - pad) / n;
  const max = Math.max(1, ...buckets.map((b) => b.offered));
  const y = (v) => H - 18 - (H - 30) * v / max;
  let s = `<svg viewBox="0 0 ${W} ${H}" class="chart" role="img" aria-label="calls per 15 minutes">`;
  s += `<line x1="${pad}" y1="${H - 18}" x2="${W}" y2="${H - 18}" class="axis"/><text x="2" y="${y(max) + 4}" class="tick">${max}</text>`;
  buckets.forEach((b, i) => {
    const x = pad + i * bw;
    s += `<rect x="${x + 2}" y="${y(b.offered)}" width="${bw / 3 - 2}" height="${H - 18 - y(b.offered)}" class="offered"><title>offered ${b.offered}</title></rect>`;
    s += `<rect x="${x + bw / 3}" y="${y(b.answered)}" width="${bw / 3 - 2}" height="${H - 18 - y(b.answered)}" class="answered"><title>answered ${b.answered}</title></rect>`;
    s += `<rect x="${x + 2 * bw / 3 - 2}" y="${y(b.abandoned)}" width="${bw / 3 - 2}" height="${H - 18 - y(b.abandoned)}" class="abandoned"><title>abandoned ${b.abandoned}</title></rect>`;
    if (i % 4 === 0) s += `<text x="${x + 2}" y="${H - 4}" class="tick">${new Date(b.start).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"})}</text>`;
  });
  s += `</svg><p class="legend"><span class="offered">■</span> offered <span class="answered">■</span> answered <span class="abandoned">■</span> abandoned · waiting now: ${waiting}</p>`;
  $("#chart").innerHTML = s;
}

async function wallboardPage() {
  renderWallboard(await api("/api/wallboard"));
  stream("/api/events", {floor: renderFloor, wallboard: renderWallboard});
  setInterval(() => document.querySelectorAll(".since").forEach((td) => { td.textContent = secs(Date.now() / 1000 - td.dataset.since); }), 1000);
}

// -- the agent page --------------------------------------------------------------------------
let current = null;

function renderPop(d) {
  if (!d.pop) return;
  current = d;
  const p = d.pop;
  $("#pop-empty").hidden = true;
  $("#pop-call").hidden = false;
  $("#pop").classList.add("ringing");
  $("#pop-number").textContent = p.number || "withheld";
  $("#pop-cidname").textContent = p.name || "";
  $("#pop-queue").textContent = p.queue || "";
  $("#pop-ivr").textContent = (p.ivr || []).map(([m, k]) => `${m} → ${k}`).join(", ") || "–";
  $("#pop-wait").textContent = secs((p.waited_ms || 0) / 1000);
  const c = d.customer;
  $("#card-title").textContent = c ? `Customer: ${c.name}` : "New caller: fill in the card";
  $("#card").dataset.customer = c ? c.id : "";
  $("#cust-name").value = c ? c.name : (p.name || "");
  $("#cust-company").value = c ? c.company : "";
  $("#cust-numbers").value = c ? c.numbers.join("; ") : (p.number || "");
  $("#cust-notes").value = c ? c.notes : "";
  $("#cust-status").textContent = "";
  $("#note-status").textContent = "";
  $("#last tbody").innerHTML = d.last_calls.length ? d.last_calls.map((r) =>
    `<tr><td>${when(r.arrived)}</td><td>${esc(r.queue)}</td><td>${esc(r.agent_name || r.agent || "")}</td><td>${esc(r.outcome)}</td>` +
    `<td>${esc(Object.values(r.survey || {}).join(", "))}</td><td>${esc((r.notes || []).map((n) => n.text).join(" · "))}</td></tr>`).join("")
    : `<tr><td colspan="6" class="muted">no earlier calls</td></tr>`;
}

async function agentPage() {
  const ext = document.body.dataset.ext;
  renderPop(await api(`/api/pop?ext=${encodeURIComponent(ext)}`));
  stream(`/api/events?ext=${encodeURIComponent(ext)}`, {pop: renderPop});
  $("#card").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {name: $("#cust-name").value, company: $("#cust-company").value, numbers: $("#cust-numbers").value, notes: $("#cust-notes").value};
    const id = $("#card").dataset.customer;
    try {
      const c = await api(id ? `/api/customers/${id}` : "/api/customers", {method: id ? "PUT" : "POST", body: JSON.stringify(body)});
      $("#card").dataset.customer = c.id;
      $("#card-title").textContent = `Customer: ${c.name}`;
      $("#cust-status").textContent = "saved";
    } catch (err) { $("#cust-status").textContent = err.message; }
  });
  $("#note").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!current || !current.call_id) return;
    try {
      await api(`/api/calls/${current.call_id}/notes`, {method: "POST", body: JSON.stringify({text: $("#note-text").value})});
      $("#note-status").textContent = "saved with call " + current.call_id;
      $("#note-text").value = "";
    } catch (err) { $("#note-status").textContent = err.message; }
  });
}

// -- the calls list ---------------------------------------------------------------------------
async function callsPage() {
  const run = async () => {
    const q = new URLSearchParams();
    for (const k of ["queue", "agent", "number", "outcome"]) if ($("#" + k).value) q.set(k, $("#" + k).value);
    for (const k of ["since", "until"]) if ($("#" + k).value) q.set(k, new Date($("#" + k).value).toISOString());
    $("#calls-error").hidden = true;
    try {
      const d = await api("/api/calls?" + q);
      const rows = d.calls.slice().reverse();
      $("#calls tbody").innerHTML = rows.map((r) => {
        const wait = r.queued != null ? ((r.connected || r.ended || r.queued) - r.queued) / 1000 : null;
        const talk = r.connected != null ? ((r.agent_left || r.ended) - r.connected) / 1000 : null;
        return `<tr data-id="${esc(r.id)}"><td>${when(r.arrived)}</td><td>${esc(r.number)}</td><td>${esc(r.name)}</td><td>${esc(r.queue)}</td>` +
          `<td>${esc(r.agent_name || r.agent || "")}</td><td><span class="outcome ${esc(r.outcome)}">${esc(r.outcome)}</span></td><td>${secs(wait)}</td><td>${secs(talk)}</td>` +
          `<td>${esc(Object.values(r.survey || {}).join(", "))}</td><td>${esc((r.notes || []).map((n) => n.text).join(" · "))}</td>` +
          `<td class="score">${scoreText(r.scorecards)}</td>` +
          `<td>${r.recording_url ? `<audio controls preload="none" src="${esc(r.recording_url)}"></audio>` : ""}</td></tr>`;
      }).join("");
      $("#calls-count").textContent = `${d.count} call(s)`;
    } catch (err) { $("#calls-error").textContent = err.message; $("#calls-error").hidden = false; }
  };
  $("#search").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  run();
}


// -- quality review ---------------------------------------------------------------------------
const scoreText = (cards) => (cards && cards.length) ? cards.map((c) => `${c.percent.toFixed(1)} %` +
  (c.passed == null ? "" : (c.passed ? " pass" : " fail"))).join(", ") : "";

async function qualityPage() {
  let card = null, reviewing = null;
  const agents = async () => {
    const d = await api("/api/quality/agents");
    $("#quality-agents tbody").innerHTML = d.agents.map((a) =>
      `<tr data-agent="${esc(a.agent)}"><td>${esc(a.agent)}</td><td>${esc(a.name || "")}</td><td>${a.calls}</td><td>${num(a.average)} %</td>` +
      `<td>${num(a.lowest)} %</td><td>${num(a.highest)} %</td><td>${a.judged ? `${a.passed} of ${a.judged}` : "–"}</td></tr>`).join("")
      || `<tr><td colspan="7" class="muted">no scorecards yet</td></tr>`;
  };
  const review = (r) => {
    reviewing = r;
    $("#review").hidden = false;
    $("#review-title").textContent = `Scorecard: call ${r.id}, agent ${r.agent_name || r.agent}`;
    const audio = $("#review-audio");
    audio.hidden = !r.recording_url;
    if (r.recording_url) audio.src = r.recording_url;
    $("#criteria tbody").innerHTML = card.criteria.map((c) =>
      `<tr><td>${esc(c.label)} <span class="muted">(weight ${c.weight})</span></td><td><select id="crit-${esc(c.id)}" data-id="${esc(c.id)}">` +
      Array.from({length: c.max + 1}, (_, i) => `<option value="${i}"${i === c.max ? " selected" : ""}>${i}</option>`).join("") +
      `</select> / ${c.max}</td></tr>`).join("");
    $("#sc-comment").value = "";
    $("#sc-status").textContent = "";
    $("#sc-list").innerHTML = r.scorecards.map((s) => `<li>${esc(s.reviewer)}: ${s.percent.toFixed(1)} %` +
      `${s.passed == null ? "" : (s.passed ? " (pass)" : " (fail)")}${s.comment ? " · " + esc(s.comment) : ""}</li>`).join("")
      || `<li class="muted">none yet</li>`;
  };
  const draw = async () => {
    const q = new URLSearchParams();
    for (const k of ["since", "until"]) if ($("#" + k).value) q.set(k, new Date($("#" + k).value).toISOString());
    if ($("#per-agent").value) q.set("per_agent", $("#per-agent").value);
    if ($("#seed").value) q.set("seed", $("#seed").value);
    $("#quality-error").hidden = true;
    try {
      const d = await api("/api/quality?" + q);
      card = d.card;
      if (!$("#per-agent").value) $("#per-agent").value = card.per_agent;
      $("#worklist tbody").innerHTML = d.calls.map((r, i) => {
        const talk = r.connected != null ? ((r.agent_left || r.ended) - r.connected) / 1000 : null;
        return `<tr data-id="${esc(r.id)}"><td>${when(r.arrived)}</td><td>${esc(r.agent_name || r.agent)}</td><td>${esc(r.number)}</td>` +
          `<td>${esc(r.queue)}</td><td>${secs(talk)}</td><td>${r.recording_url ? "pulled" : "not pulled yet"}</td>` +
          `<td class="score">${scoreText(r.scorecards)}</td><td><button class="review" data-i="${i}">Review</button></td></tr>`;
      }).join("") || `<tr><td colspan="8" class="muted">no recorded, answered call in this period</td></tr>`;
      $("#worklist-count").textContent = `${d.calls.length} call(s): ${d.done} reviewed, ${d.to_do} to do`;
      $("#drawn").textContent = `drawn: ${d.drawn.method}, seed ${d.drawn.seed}, ${d.drawn.per_agent} per agent, ` +
        `at least ${d.drawn.min_talk_s} s of talk, from ${d.drawn.records} record(s)`;
      for (const b of document.querySelectorAll("#worklist button.review")) b.addEventListener("click", () => review(d.calls[+b.dataset.i]));
      if (reviewing) { const again = d.calls.find((r) => r.id === reviewing.id); if (again) review(again); }
    } catch (err) { $("#quality-error").textContent = err.message; $("#quality-error").hidden = false; }
  };
  $("#draw").addEventListener("submit", (e) => { e.preventDefault(); draw(); });
  $("#scorecard").addEventListener("submit", async (e) => {
    e.preventDefault();
    const scores = {};
    for (const sel of document.querySelectorAll("#criteria select")) scores[sel.dataset.id] = +sel.value;
    try {
      const s = await api(`/api/calls/${reviewing.id}/scorecard`, {method: "POST", body: JSON.stringify({scores, comment: $("#sc-comment").value})});
      $("#sc-status").textContent = `saved: ${s.percent.toFixed(1)} %` + (s.passed == null ? "" : (s.passed ? ", pass" : ", fail"));
      const status = $("#sc-status").textContent;
      await draw();
      await agents();
      $("#sc-status").textContent = status;
    } catch (err) { $("#sc-status").textContent = err.message; }
  });
  await draw();
  await agents();
}

({wallboard: wallboardPage, agent: agentPage, calls: callsPage, quality: qualityPage}[document.body.dataset.page] || (() => {}))();
