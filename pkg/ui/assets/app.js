// topo ui: draws the lab's picture (positions from topo's own layout,
// the same as topo graph's SVG) and keeps it live with Server-Sent
// Events. Plain JavaScript, no build step, no external code.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const FILL = { host: "#e8f0fe", router: "#fde8c8", switch: "#e0f2e9", group: "#eeeeee" };
const $ = (id) => document.getElementById(id);

let readOnly = false;
let lab = "";
let graph = null;
let events = null;
let selected = null;      // {kind: "node"|"link", id}
let pingStage = 0;        // 1: the next node clicked is a ping's source, 2: its target
let pingFrom = "";
let captureSource = null;

function el(name, attrs, parent) {
  const e = document.createElementNS(SVGNS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}

function h(tag, text, parent, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

function say(text, error) {
  $("msg").textContent = text;
  $("msg").className = error ? "error" : "";
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || r.status + " " + r.statusText);
  return data;
}

function labPath(rest) { return "/api/labs/" + encodeURIComponent(lab) + rest; }

// The picture's layers, bottom to top, as pkg/graph's SVG stacks them.
const LAYERS = ["sites", "links", "pairs", "labels", "nodes"];
let svg = null;           // the picture drawn, kept across redraws
let layers = {};          // LAYERS' <g> elements in svg

// keyed returns the element of layer that stands for key, made with tag
// (and made ready by init) the first time, and notes it as drawn. An
// element stays the same element across redraws, so a click aimed at
// it is never lost to a redraw.
function keyed(layer, key, tag, init) {
  let e = layer.keyed.get(key);
  if (!e) {
    e = el(tag, {}, layer);
    layer.keyed.set(key, e);
    if (init) init(e);
  }
  layer.drawn.push(e);
  return e;
}

// settle removes what layer drew before and this redraw did not, and
// stacks the rest in the order drawn (the graph's, as topo graph's SVG
// has it), moving only what is out of place.
function settle(layer) {
  const drawn = new Set(layer.drawn);
  for (const [key, e] of layer.keyed) {
    if (!drawn.has(e)) { e.remove(); layer.keyed.delete(key); }
  }
  layer.drawn.forEach((e, i) => {
    if (layer.children[i] !== e) layer.insertBefore(e, layer.children[i]);
  });
  layer.drawn = [];
}

// selectedClass is " selected" for the node or link selected.
function selectedClass(kind, id) {
  return selected && selected.kind === kind && selected.id === id ? " selected" : "";
}

function set(e, attrs) {
  for (const k in attrs) {
    const v = String(attrs[k]);
    if (e.getAttribute(k) !== v) e.setAttribute(k, v);
  }
}

// lines writes text lines into parent's <text class="line"> children,
// each placed by at(i), reusing the ones already there.
function lines(parent, texts, at) {
  const have = parent.querySelectorAll(":scope > text.line");
  texts.forEach((line, i) => {
    const t = have[i] || el("text", { class: "line" }, parent);
    set(t, at(i));
    if (t.textContent !== line) t.textContent = line;
  });
  for (let i = texts.length; i < have.length; i++) have[i].remove();
}

// draw renders the graph: lines under label boxes under nodes, as
// pkg/graph's SVG does. It updates the picture in place: what is
// unchanged is not touched, and what changed keeps its element.
function draw() {
  const pic = $("picture");
  if (!graph) { pic.textContent = ""; svg = null; return; }
  if (!svg || !pic.contains(svg)) {
    pic.textContent = "";
    svg = el("svg", { id: "graph" }, pic);
    layers = {};
    for (const name of LAYERS) {
      layers[name] = el("g", { class: "layer-" + name }, svg);
      layers[name].keyed = new Map();
      layers[name].drawn = [];
    }
  }
  set(svg, { width: graph.width, height: graph.height, viewBox: `0 0 ${graph.width} ${graph.height}` });
  const byId = {};
  for (const n of graph.nodes) byId[n.id] = n;
  // A lab split across sites: a frame per site, under everything else.
  for (const f of graph.sites || []) {
    const g = keyed(layers.sites, f.name, "g", (g) => el("rect", {}, g));
    set(g, { class: "site", "data-id": f.name });
    set(g.querySelector(":scope > rect"), { x: f.x, y: f.y, width: f.w, height: f.h, rx: 8, fill: "#faf7fc", stroke: "#7b1fa2", "stroke-width": 1.5, "stroke-dasharray": "8 4" });
    lines(g, [f.name + " " + f.underlay], () => ({ x: f.x + 14, y: f.y + 18, fill: "#7b1fa2", "font-weight": "bold" }));
  }
  for (const l of graph.links) {
    set(keyed(layers.links, l.id, "polyline"), {
      class: "link", "data-id": l.id, fill: "none",
      points: l.points.map((p) => p.x + "," + p.y).join(" "),
      stroke: l.blocking ? "#bbbbbb" : l.vni ? "#7b1fa2" : "#555555", "stroke-width": l.count ? 4 : 1.5,
      "stroke-dasharray": l.down ? "6 4" : "none",
    });
  }
  for (const p of graph.pairs || []) {
    const a = byId[p.from], z = byId[p.to];
    if (!p.checked || p.ok || !a || !z) continue;
    set(keyed(layers.pairs, p.from + ">" + p.to, "line"), { class: "pair", x1: a.x + a.w / 2, y1: a.y + a.h / 2, x2: z.x + z.w / 2, y2: z.y + z.h / 2, stroke: "#d93025", "stroke-width": 2, "stroke-dasharray": "2 4" });
  }
  for (const l of graph.links) {
    const id = l.id;
    const g = keyed(layers.labels, id, "g", (g) => {
      el("rect", {}, g);
      el("text", { class: "traffic", "data-link": id }, g);
      g.addEventListener("click", () => select("link", id));
    });
    const b = l.label;
    set(g, { class: "label" + selectedClass("link", id), "data-id": id });
    set(g.querySelector(":scope > rect"), { x: b.x, y: b.y, width: b.w, height: b.h, rx: 3, fill: "#ffffff", stroke: "#bbbbbb" });
    lines(g, l.lines, (i) => ({ x: b.x + 6, y: b.y + 4 + i * 16 + 12 }));
    set(g.querySelector(":scope > text.traffic"), { x: b.x + 6, y: b.y + b.h + 12 });
  }
  for (const n of graph.nodes) {
    const id = n.id;
    const g = keyed(layers.nodes, id, "g", (g) => {
      el("rect", {}, g);
      g.addEventListener("click", () => clickNode(id));
    });
    set(g, { class: "node " + n.kind + selectedClass("node", id), "data-id": id });
    const rx = n.kind === "router" ? n.h / 2 : n.kind === "switch" ? 0 : 6;
    set(g.querySelector(":scope > rect"), {
      x: n.x, y: n.y, width: n.w, height: n.h, rx, fill: FILL[n.kind] || "#fff",
      stroke: n.missing || n.remote ? "#999999" : n.failed ? "#d93025" : "#555555", "stroke-width": n.failed ? 3 : 1.5,
      "stroke-dasharray": n.missing || n.remote ? "4 3" : "none",
    });
    lines(g, n.lines, (i) => ({ x: n.x + n.w / 2, y: n.y + 8 + i * 16 + 12, "text-anchor": "middle" }));
  }
  for (const name of LAYERS) settle(layers[name]);
  drawPairs();
  drawDrift();
}

function drawPairs() {
  const box = $("pairs");
  box.textContent = "";
  for (const p of (graph && graph.pairs) || []) {
    const mark = !p.checked ? "·" : p.ok ? "✓" : "✗";
    const want = p.reach ? "must reach" : "must not reach";
    const d = h("div", `${mark} ${p.from} → ${p.to} ${want}` + (p.checked && !p.ok && p.reason ? ": " + p.reason : ""), box,
      p.checked ? (p.ok ? "ok" : "fail") : "");
    d.dataset.pair = p.from + ">" + p.to;
  }
}

function drawDrift() {
  const box = $("drift");
  box.textContent = "";
  const drift = (graph && graph.drift) || [];
  if (drift.length) h("div", `drift (${drift.length}; topo up repairs it):`, box, "fail");
  for (const d of drift) h("div", "  " + d, box);
}

function mark() {
  for (const e of document.querySelectorAll("svg .selected")) e.classList.remove("selected");
  if (!selected) return;
  const cls = selected.kind === "node" ? "node" : "label";
  for (const e of document.querySelectorAll(`svg .${cls}`)) if (e.dataset.id === selected.id) e.classList.add("selected");
}

function clickNode(id) {
  if (pingStage === 1) {
    pingFrom = id;
    pingStage = 2;
    say("ping from " + id + ": click the node to ping");
    return;
  }
  if (pingStage === 2) {
    pingStage = 0;
    ping(pingFrom, id);
    return;
  }
  select("node", id);
}

function select(kind, id) {
  selected = { kind, id };
  mark();
  if (kind === "node") showNode(id); else showLink(id);
}

async function showNode(id) {
  const panel = $("panel");
  panel.textContent = "";
  delete panel.dataset.link;
  h("h3", id, panel);
  if (id.endsWith("/hosts")) { h("p", "a group of hosts: topo graph --expand draws each", panel); return; }
  if (!readOnly) {
    captureButton(panel, id);
    const p = h("button", "ping from here", panel, "act");
    p.addEventListener("click", () => { pingFrom = id; pingStage = 2; say("ping from " + id + ": click the node to ping"); });
  }
  try {
    const n = await api("GET", labPath("/nodes/" + encodeURIComponent(id)));
    h("div", `${n.kind}, namespace ${n.namespace}`, panel);
    h("h4", "Interfaces", panel);
    const t = h("table", undefined, panel);
    const head = h("tr", undefined, t);
    for (const c of ["iface", "state", "addresses", "mac", "mtu", "peer"]) h("th", c, head);
    for (const i of n.interfaces || []) {
      const r = h("tr", undefined, t);
      for (const v of [i.name, i.state + (i.port ? " " + i.port : ""), (i.addresses || []).join(" "), i.mac, i.mtu, i.peer || ""]) h("td", String(v), r);
    }
    h("h4", "Routes", panel);
    h("pre", (n.routes || []).join("\n") || "(none)", panel);
    h("h4", "Neighbours (ARP/NDP)", panel);
    h("pre", (n.neighbours || []).join("\n") || "(none)", panel);
    h("h4", "Processes", panel);
    h("pre", (n.processes || []).join("\n") || "(none)", panel);
  } catch (e) {
    h("p", e.message, panel, "fail");
  }
}

function showLink(id) {
  const l = graph && graph.links.find((x) => x.id === id);
  const panel = $("panel");
  panel.textContent = "";
  delete panel.dataset.link;
  if (!l) return;
  panel.dataset.link = id;
  h("h3", l.a.node + ":" + l.a.iface + " — " + l.b.node + ":" + l.b.iface, panel);
  h("pre", l.lines.join("\n"), panel).className = "link-lines";
  if (readOnly || l.count) return;
  const end = l.a.node + ":" + l.a.iface;
  for (const state of ["down", "up"]) {
    const b = h("button", state, panel, "act");
    b.dataset.act = state;
    b.addEventListener("click", async () => {
      try {
        await api("POST", labPath("/link"), { endpoint: end, state });
        say(`${end}: link ${state}`);
      } catch (e) { say(e.message, true); }
    });
  }
  captureButton(panel, "link:" + end);
  for (const e of [l.a, l.b]) {
    const ep = e.node + ":" + e.iface;
    const f = h("form", undefined, panel);
    h("h4", "impairment leaving " + ep, f);
    const fields = {};
    for (const k of ["rate", "delay", "jitter", "loss"]) {
      const row = h("div", undefined, f);
      h("label", k, row);
      fields[k] = h("input", undefined, row);
      fields[k].placeholder = { rate: "10mbit", delay: "20ms", jitter: "5ms", loss: "1%" }[k];
    }
    h("button", "apply", f, "act");
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const req = { endpoint: ep };
      for (const k in fields) req[k] = fields[k].value.trim();
      try {
        await api("POST", labPath("/impair"), req);
        say(ep + ": impairment changed");
      } catch (err) { say(err.message, true); }
    });
  }
}

// refreshLink shows a new graph's word on the link the panel shows,
// leaving its buttons and what is being typed into its forms alone.
function refreshLink(id) {
  const panel = $("panel");
  const l = graph && graph.links.find((x) => x.id === id);
  if (!l || panel.dataset.link !== id) { showLink(id); return; }
  const pre = panel.querySelector("pre.link-lines");
  const text = l.lines.join("\n");
  if (pre.textContent !== text) pre.textContent = text;
}

async function ping(from, to) {
  say(`ping ${from} → ${to}…`);
  try {
    const r = await api("POST", labPath("/ping"), { from, to });
    if (r.reached) say(`ping ${from} → ${to} (${r.address}): reply, ttl ${r.ttl} (${r.hops} router${r.hops === 1 ? "" : "s"} on the way), ${r.rtt_ms.toFixed(2)} ms` + (r.trace && r.trace.length ? "; path by TTL: " + r.trace.map(t => `${t.ttl} ${t.node}`).join(" → ") : ""));
    else say(`ping ${from} → ${to} (${r.address}): ${r.reason}` + (r.why ? ": " + r.why : "") + (r.path && r.path.length ? "; path: " + r.path.join(" → ") : ""), true);
  } catch (e) { say(e.message, true); }
}

// captureButton adds a capture button and its filter (topo capture's
// words: "icmp or arp", "host h2 and not tcp").
function captureButton(panel, target) {
  const b = h("button", "capture", panel, "act");
  const f = h("input", undefined, panel, "cap-filter");
  f.placeholder = "filter, e.g. icmp or arp";
  b.addEventListener("click", () => startCapture(target, f.value.trim()));
}

function startCapture(target, filter) {
  if (captureSource) captureSource.close();
  $("capture").hidden = false;
  $("capture-title").textContent = "capture " + target + (filter ? " " + filter : "");
  const lines = $("capture-lines");
  lines.textContent = "";
  captureSource = new EventSource(labPath("/capture?target=" + encodeURIComponent(target) + "&filter=" + encodeURIComponent(filter || "")));
  captureSource.addEventListener("capture", (ev) => {
    $("capture-download").href = "/api/captures/" + JSON.parse(ev.data).id;
  });
  captureSource.addEventListener("line", (ev) => {
    lines.textContent += ev.data + "\n";
    if (lines.textContent.length > 200000) lines.textContent = lines.textContent.slice(-100000);
    lines.scrollTop = lines.scrollHeight;
  });
  captureSource.addEventListener("error", (ev) => {
    if (ev.data) say(JSON.parse(ev.data).error, true);
    captureSource.close();
  });
}

function fmtRate(bps) {
  if (bps >= 1e9) return (bps / 1e9).toFixed(1) + " Gbit/s";
  if (bps >= 1e6) return (bps / 1e6).toFixed(1) + " Mbit/s";
  if (bps >= 1e3) return (bps / 1e3).toFixed(1) + " kbit/s";
  return Math.round(bps) + " bit/s";
}

// traffic writes each link's rates under its label: packets and bits
// per second both ways, and the drops.
function traffic(rates) {
  if (!graph) return;
  for (const t of document.querySelectorAll("svg text.traffic")) {
    const l = graph.links.find((x) => x.id === t.dataset.link);
    if (!l || l.count) continue;
    const a = rates[l.a.node + ":" + l.a.iface], b = rates[l.b.node + ":" + l.b.iface];
    if (!a && !b) { t.textContent = ""; continue; }
    const src = a || { tx_pps: b.rx_pps, rx_pps: b.tx_pps, tx_bps: b.rx_bps, rx_bps: b.tx_bps, dropped: 0 };
    const drops = (a ? a.dropped : 0) + (b ? b.dropped : 0);
    t.textContent = `${src.tx_pps.toFixed(0)}/${src.rx_pps.toFixed(0)} pps ${fmtRate(src.tx_bps + src.rx_bps)}` + (drops ? ` drop ${drops}` : "");
  }
}

function open(name) {
  lab = name;
  graph = null;
  svg = null;
  selected = null;
  if (events) events.close();
  if (!lab) { $("picture").innerHTML = '<p class="empty">no lab is up: start one with topo up FILE</p>'; return; }
  history.replaceState(null, "", "/#" + encodeURIComponent(lab));
  events = new EventSource(labPath("/events"));
  events.addEventListener("graph", (ev) => {
    graph = JSON.parse(ev.data);
    const st = $("state");
    st.textContent = graph.drift && graph.drift.length ? "drifted" : "up";
    st.className = st.textContent;
    draw();
    if (selected && selected.kind === "link") refreshLink(selected.id);
  });
  events.addEventListener("traffic", (ev) => traffic(JSON.parse(ev.data)));
  events.addEventListener("labs", (ev) => labs(JSON.parse(ev.data) || []));
  events.addEventListener("error", (ev) => {
    if (!ev.data) return;
    $("state").textContent = "error";
    $("state").className = "error";
    say(JSON.parse(ev.data).error, true);
  });
}

function labs(list) {
  const sel = $("labs");
  const have = Array.from(sel.options).map((o) => o.value).join(",");
  if (have === list.join(",")) return;
  sel.textContent = "";
  for (const l of list) { const o = h("option", l, sel); o.value = l; }
  if (list.includes(lab)) sel.value = lab;
}

async function main() {
  const info = await api("GET", "/api/info");
  readOnly = info.readOnly;
  $("readonly").hidden = !readOnly;
  for (const b of document.querySelectorAll("header button.act")) b.hidden = readOnly;
  labs(info.labs);
  $("labs").addEventListener("change", (e) => open(e.target.value));
  $("check").addEventListener("click", async () => {
    say("checking…");
    $("check").disabled = true;
    try {
      const r = await api("POST", labPath("/check"), {});
      say(`check: ${r.total - r.failed} of ${r.total} pairs as expected`, r.failed > 0);
    } catch (e) { say(e.message, true); }
    $("check").disabled = false;
  });
  $("ping").addEventListener("click", () => { pingStage = 1; say("ping: click the node to ping from"); });
  $("capture-stop").addEventListener("click", () => { if (captureSource) captureSource.close(); say("capture stopped"); });
  const want = decodeURIComponent(location.hash.slice(1));
  open(info.labs.includes(want) ? want : info.labs[0] || "");
}

main().catch((e) => say(e.message, true));
