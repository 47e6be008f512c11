// The explorer page itself: draws the graph, replays the backward pass step by step, and shows
// the details of the node you click (minidl/explorer.py puts this file inline in the page, last
// of explorer.SCRIPTS). The data is the JSON in <script id="minidl-graph">.
"use strict";

const DATA = JSON.parse(document.getElementById("minidl-graph").textContent);
const model = buildModel(DATA);
const state = {
  step: DATA.steps.length,  // how many steps of the backward pass have run
  replaying: false,         // false until a step control is used: then the step is highlighted
  selected: null,
  collapsed: new Set(DATA.collapsed ? model.modules.keys() : []),
  timer: null,
  view: { x: 0, y: 0, k: 1 },
  drawn: null,              // the last layout
  dragged: false,           // a drag (pan) is under way: the click that ends it selects nothing
};
const $ = id => document.getElementById(id);

function buildModel(data) {
  const nodes = new Map(data.nodes.map(n => [n.id, n]));
  const modules = new Map(data.modules.map(g => [g.id, { ...g, members: [] }]));
  for (const n of data.nodes) {
    for (let g = n.module; g; g = modules.get(g).parent) modules.get(g).members.push(n.id);
  }
  const received = new Map();  // leaf id -> [{step, from, input, grad}]
  const sizes = [];            // every gradient size, for the colour scale
  data.steps.forEach((s, i) => s.sends.forEach(send => {
    sizes.push(send.rms);
    if (nodes.get(send.to).op !== "leaf") return;
    if (!received.has(send.to)) received.set(send.to, []);
    received.get(send.to).push({ step: i, from: s.node, input: send.input, grad: send.grad });
  }));
  data.nodes.forEach(n => { if (n.grad_rms !== null) sizes.push(n.grad_rms); });
  const logs = sizes.filter(v => v > 0).map(Math.log10);
  let lo = logs.length ? Math.min(...logs) : -1, hi = logs.length ? Math.max(...logs) : 1;
  if (hi - lo < 1) { const mid = (hi + lo) / 2; lo = mid - 0.5; hi = mid + 0.5; }
  return { nodes, modules, received, steps: data.steps, output: data.output, seed: data.seed,
           scale: { lo, hi } };
}

// ------------------------------------------------------------------- what is on screen
// A node is shown as itself unless one of its modules is collapsed: then the outermost
// collapsed module stands for it, as one box.
function unitOf(id) {
  let unit = id;
  for (let g = model.nodes.get(id).module; g; g = model.modules.get(g).parent) {
    if (state.collapsed.has(g)) unit = `module:${g}`;
  }
  return unit;
}

function isDone(n) {
  if (n.op !== "leaf") return n.step !== null && n.step < state.step;
  return (model.received.get(n.id) || []).some(r => r.step < state.step);
}

// A node's text: op (or leaf name) and shape; for a one-number tensor also its value and, once
// the backward pass reached it, its gradient (micrograd's picture).
function lines(n, done = isDone(n)) {
  const head = n.op === "leaf" ? (n.name || "leaf") : (n.name ? `${n.op} · ${n.name}` : n.op);
  const out = [{ text: head, cls: "head" }, { text: shapeText(n.shape), cls: "sub" }];
  if (n.shape.every(d => d === 1)) {
    const one = v => (Array.isArray(v) ? one(v[0]) : v);
    out.push({ text: `data ${n.value === null ? "not kept" : fmt(one(n.value))}`, cls: "num" });
    out.push({ text: `grad ${n.grad === null || !done ? "·" : fmt(one(n.grad))}`,
               cls: "num" });
  }
  return out;
}

function moduleLines(g) {
  const box = model.modules.get(g);
  const kind = box.type ? `${box.type} · ` : "";
  return [{ text: `⊞ ${g}`, cls: "head" }, { text: `${kind}${box.members.length} nodes`,
                                             cls: "sub" }];
}

const measure = document.createElement("canvas").getContext("2d");
function textWidth(text, cls) {
  measure.font = cls === "head" ? "650 12px system-ui, sans-serif"
    : cls === "num" ? "10.5px monospace" : "11px system-ui, sans-serif";
  return measure.measureText(text).width;
}

function visibleGraph() {
  const units = new Map();
  const edges = new Map();  // "from>to" -> {from, to, inputs: [i, ...]}
  for (const n of DATA.nodes) {
    const unit = unitOf(n.id);
    if (!units.has(unit)) {
      const module = unit.startsWith("module:") ? unit.slice(7) : null;
      const text = module ? moduleLines(module) : lines(n, true);  // (sized for the gradient)
      const width = Math.max(58, ...text.map(t => textWidth(t.text, t.cls))) + 22;
      // (in a module's box: the innermost open module around it)
      const cluster = module ? model.modules.get(module).parent : n.module;
      units.set(unit, { id: unit, node: module ? null : n, module, text, cluster, width,
                        height: 12 + 15 * text.length });
    }
    n.inputs.forEach((input, i) => {
      if (input === null) return;
      const from = unitOf(input);
      if (from === unit) return;
      const key = `${from}>${unit}`;
      if (!edges.has(key)) edges.set(key, { from, to: unit, inputs: [] });
      edges.get(key).inputs.push(i);
    });
  }
  return { units, edges: [...edges.values()] };
}

// ------------------------------------------------------------------- drawing
// Lay out and draw what is shown; then look at `focus` (unit ids), or at the output.
function render(focus) {
  const { units, edges } = visibleGraph();
  const laid = layoutGraph([...units.values()], edges);
  state.drawn = { units, edges, laid };
  drawBoxes(units, laid);
  drawEdges(units, edges, laid);
  drawNodes(units, laid);
  paint();
  lookAt(focus);
}

function drawNodes(units, laid) {
  const layer = $("nodes");
  layer.replaceChildren();
  for (const u of units.values()) {
    const p = laid.nodes.get(u.id);
    const kind = u.module ? "module" : u.node.op === "leaf" ? "leaf" : "op";
    const g = el("g", { class: `node ${kind}`, "data-unit": u.id,
                        transform: `translate(${p.x - u.width / 2},${p.y - u.height / 2})` });
    if (u.node) {
      g.setAttribute("data-node", u.node.id);
      if (u.node.id === model.output) g.classList.add("output");
      if (u.node.second_order) g.classList.add("second");
      if (u.node.parameter) g.classList.add("parameter");
    }
    g.append(el("rect", { class: "halo", x: -5, y: -5, width: u.width + 10,
                          height: u.height + 10, rx: 12 }),
             el("rect", { width: u.width, height: u.height }));
    u.text.forEach((t, i) => g.append(el("text", { class: t.cls, x: u.width / 2,
      y: 19 + 15 * i, "text-anchor": "middle" }, t.text)));
    if (u.node && u.node.second_order) {
      g.append(el("text", { class: "tag", x: u.width - 4, y: 9, "text-anchor": "end" }, "2nd"));
    }
    g.addEventListener("click", event => {
      if (state.dragged) return;
      event.stopPropagation();
      if (u.module) expand(u.module); else select(u.node.id);
    });
    layer.append(g);
  }
}

function drawEdges(units, edges, laid) {
  const layer = $("edges");
  layer.replaceChildren();
  laid.edges.forEach((e, k) => {
    const pts = e.points;
    let d = `M${pts[0][0]},${pts[0][1]}`;
    for (let i = 1; i < pts.length; i++) {
      const [x0, y0] = pts[i - 1], [x1, y1] = pts[i], mid = (x0 + x1) / 2;
      d += ` C${mid},${y0} ${mid},${y1} ${x1},${y1}`;
    }
    const g = el("g", { class: "edge", "data-from": e.from, "data-to": e.to }, el("path", { d }));
    const target = units.get(e.to);
    const many = target.node && target.node.inputs.filter(x => x !== null).length > 1;
    if (many || (target.node && edges[k].inputs[0] !== 0)) {
      const [x, y] = pts[pts.length - 1];
      g.append(el("text", { x: x - 4, y: y - 4, "text-anchor": "end" },
        edges[k].inputs.map(i => `x${i}`).join(",")));
    }
    layer.append(g);
  });
}

// Expanded modules: a dashed frame around what is shown of them, titled; the title collapses.
function drawBoxes(units, laid) {
  const layer = $("boxes");
  layer.replaceChildren();
  const inside = new Map();
  for (const u of units.values()) {
    let g = u.module ? model.modules.get(u.module).parent : u.node.module;
    for (; g; g = model.modules.get(g).parent) {
      if (!inside.has(g)) inside.set(g, []);
      inside.get(g).push(laid.nodes.get(u.id));
    }
  }
  const depth = g => { let d = 0; for (; g; g = model.modules.get(g).parent) d++; return d; };
  const nested = g => Math.max(0, ...[...inside.keys()].filter(h => h.startsWith(`${g}.`))
    .map(h => depth(h) - depth(g)));
  for (const [g, boxes] of [...inside].sort((a, b) => depth(a[0]) - depth(b[0]))) {
    const pad = 8 + 9 * nested(g);
    const x0 = Math.min(...boxes.map(b => b.x - b.width / 2)) - pad;
    const y0 = Math.min(...boxes.map(b => b.y - b.height / 2)) - pad - 14;
    const x1 = Math.max(...boxes.map(b => b.x + b.width / 2)) + pad;
    const y1 = Math.max(...boxes.map(b => b.y + b.height / 2)) + pad;
    const type = model.modules.get(g).type;
    const title = el("text", { x: x0 + 8, y: y0 + 13, "data-module": g },
      `⊟ ${g}${type ? ` · ${type}` : ""}`);
    title.addEventListener("click", event => {
      event.stopPropagation();
      state.collapsed.add(g);
      render([`module:${g}`]);
    });
    layer.append(el("g", { class: "box" }, el("rect", { x: x0, y: y0, width: x1 - x0,
                                                          height: y1 - y0 }), title));
  }
}

// Colours, highlights and step-dependent text: redone at every step without a new layout.
function paint() {
  const current = state.replaying && state.step > 0 ? DATA.steps[state.step - 1] : null;
  for (const g of $("nodes").children) {
    const u = state.drawn.units.get(g.dataset.unit);
    const shown = u.node || model.nodes.get(firstToRun(u.module));
    const done = shown && isDone(shown);
    const { fill, dark } = done && shown.grad_rms !== null ? colourOf(shown.grad_rms)
      : { fill: "#ffffff", dark: false };
    g.querySelectorAll("rect")[1].style.fill = fill;
    g.classList.toggle("dark", dark);
    g.classList.toggle("pending", !done);
    g.classList.toggle("selected", !!u.node && u.node.id === state.selected);
    g.classList.toggle("current", !!current && (u.node ? u.node.id === current.node
      : model.modules.get(u.module).members.includes(current.node)));
    if (u.node) {
      lines(u.node).forEach((t, i) => { g.querySelectorAll("text")[i].textContent = t.text; });
    }
  }
  for (const g of $("edges").children) {
    g.classList.remove("sending");
    g.querySelector("path").style.stroke = "";
  }
  $("labels").replaceChildren();
  if (current) showSends(current);
  stepLabel(current);
}

function firstToRun(module) {
  const ran = model.modules.get(module).members.map(id => model.nodes.get(id))
    .filter(n => n.step !== null);
  return ran.length ? ran.reduce((a, b) => (a.step < b.step ? a : b)).id : null;
}

// The current step's gradients, on the edges they travel along (from the node to its inputs).
function showSends(step) {
  const to = unitOf(step.node);
  for (const send of step.sends) {
    const from = unitOf(send.to);
    if (from === to) continue;
    const g = [...$("edges").children].find(e => e.dataset.from === from && e.dataset.to === to);
    if (!g) continue;
    g.classList.add("sending");
    // A one-number gradient is written on its edge (the scalar graphs' picture); a tensor's
    // size is the colour its input takes, its values are in the panel.
    const one = v => (Array.isArray(v) ? (v.length === 1 ? one(v[0]) : null) : v);
    const value = typeof send.grad === "object" && !Array.isArray(send.grad) ? null
      : one(send.grad);
    if (value === null) continue;
    const path = g.querySelector("path");
    const mid = path.getPointAtLength(path.getTotalLength() / 2);
    const text = `g = ${fmt(value)}`;
    const w = textWidth(text, "num") + 10;
    $("labels").append(el("g", { class: "grad-label" },
      el("rect", { x: mid.x - w / 2, y: mid.y - 9, width: w, height: 16 }),
      el("text", { x: mid.x, y: mid.y + 3, "text-anchor": "middle" }, text)));
  }
}

function stepLabel(current) {
  const total = DATA.steps.length;
  const label = $("step-label");
  if (total === 0) label.replaceChildren("no backward steps: the output needs no gradient");
  else if (!state.replaying) {
    label.replaceChildren(`all ${total} steps done: `, el("b", {}, "step ▶"), " replays them");
  } else if (!current) label.replaceChildren(`before the backward pass (${total} steps)`);
  else {
    label.replaceChildren("step ", el("b", {}, `${state.step} / ${total}`), ": ",
      el("b", {}, nodeLabel(model.nodes.get(current.node))), " sends its gradients");
  }
  $("first").disabled = $("prev").disabled = state.replaying && state.step === 0 || total === 0;
  $("next").disabled = $("last").disabled = state.replaying && state.step === total
    || total === 0;
  $("play").disabled = total === 0;
}

// ------------------------------------------------------------------- interaction
function select(id) {
  state.selected = id;
  const panel = $("panel");
  if (id === null) showOverview(panel, model);
  else showNode(panel, model, model.nodes.get(id), select);
  panel.scrollTop = 0;
  paint();
  if (id !== null) keepInView(unitOf(id));
}

function goTo(step) {
  state.replaying = true;
  state.step = Math.max(0, Math.min(DATA.steps.length, step));
  const current = state.step > 0 ? DATA.steps[state.step - 1] : null;
  if (current) select(current.node); else paint();
}

function play() {
  if (state.timer) { clearInterval(state.timer); state.timer = null; }
  else {
    if (!state.replaying || state.step === DATA.steps.length) goTo(0);
    state.timer = setInterval(() => {
      if (state.step >= DATA.steps.length) { play(); return; }
      goTo(state.step + 1);
    }, 800);
  }
  $("play").textContent = state.timer ? "❚❚ pause" : "▶ play";
}

function expand(module) {
  state.collapsed.delete(module);
  render(DATA.nodes.filter(n => model.modules.get(module).members.includes(n.id))
    .map(n => unitOf(n.id)));
}

function wire() {
  $("first").onclick = () => goTo(0);
  $("prev").onclick = () => goTo(state.replaying ? state.step - 1 : DATA.steps.length - 1);
  $("next").onclick = () => goTo(state.replaying ? state.step + 1 : 1);
  $("last").onclick = () => goTo(DATA.steps.length);
  $("play").onclick = play;
  $("fit").onclick = () => lookAt(null, true);
  $("expand-all").onclick = () => { state.collapsed.clear(); render(null); };
  $("collapse-all").onclick = () => {
    state.collapsed = new Set(model.modules.keys());
    render(null);
  };
  $("collapse-all").disabled = $("expand-all").disabled = model.modules.size === 0;
  document.addEventListener("keydown", event => {
    if (event.key === " " && event.target.tagName === "BUTTON") return;  // it clicks itself
    const keys = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play" };
    if (keys[event.key]) { event.preventDefault(); $(keys[event.key]).click(); }
    if (event.key === "Escape") select(null);
  });
  const graph = $("graph");
  panAndZoom(graph);
  graph.addEventListener("click", () => { if (!state.dragged) select(null); });
  window.addEventListener("resize", () => lookAt(null));
}

// The page can open in a given state: page.html#step=3&select=n2&expand=features,head
// (expand=all opens every module).
function fromAddress() {
  const want = new URLSearchParams(location.hash.slice(1));
  for (const g of (want.get("expand") || "").split(",")) state.collapsed.delete(g);
  if (want.get("expand") === "all") state.collapsed.clear();
  render(null);
  if (want.has("step")) goTo(Number(want.get("step")));
  if (want.has("select") && model.nodes.has(want.get("select"))) select(want.get("select"));
}

wire();
legend();
showOverview($("panel"), model);
fromAddress();
document.body.dataset.ready = "true";
