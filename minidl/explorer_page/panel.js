// The explorer's details panel: all the page knows about the node you click (minidl/explorer.py
// puts this file inline in the page, with the others of explorer.SCRIPTS).
"use strict";

// A number as the page shows it: `digits` significant digits (six; four in tables).
function fmt(v, digits = 6) {
  if (typeof v === "string" || typeof v === "boolean") return String(v);  // "nan", "inf", ...
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return v.toExponential(digits - 1);
  return String(parseFloat(v.toPrecision(digits)));
}

function shapeText(shape) {
  return shape.length === 0 ? "scalar" : `(${shape.join(", ")}${shape.length === 1 ? "," : ""})`;
}

// A DOM element: el("div", {class: "x"}, "text", child, [more, children], ...). Text goes in
// as text, never as HTML: names come from the user's program.
function el(tag, attrs, ...children) {
  const svg = ["svg", "rect", "text", "g", "path", "title"].includes(tag);
  const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") e.addEventListener("click", v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined) e.append(typeof c === "object" ? c : String(c));
  }
  return e;
}

const num = (v, digits) => el("span", { class: "num" }, fmt(v, digits));

// An array as embedded by describe() in minidl/explorer.py: whole (nested lists) or summarised.
function renderArray(v, shape) {
  if (v === null || v === undefined) return el("div", { class: "note" }, "(none)");
  if (!Array.isArray(v) && typeof v === "object") return renderSummary(v, shape);
  if (!Array.isArray(v)) return el("div", { class: "scalar" }, num(v));
  const table = rows => el("div", { class: "scroll" }, el("table", { class: "values" },
    ...rows.map(r => el("tr", {}, ...r.map(x => el("td", {}, num(x, 4)))))));
  if (shape.length === 1) {
    const rows = [];
    for (let i = 0; i < v.length; i += 8) rows.push(v.slice(i, i + 8));
    return table(rows);
  }
  if (shape.length === 2) return table(v);
  const nested = x => Array.isArray(x) ? ["[", ...x.flatMap((y, i) =>
    i ? [", ", ...nested(y)] : nested(y)), "]"] : [num(x, 4)];
  return el("div", { class: "num" }, ...nested(v));
}

function renderSummary(s, shape) {
  const box = el("div", {}, el("div", { class: "meta" },
    `${s.size.toLocaleString("en")} values ${shapeText(shape)}: summarised`));
  if (s.histogram) {
    box.append(el("table", { class: "stats" },
      ...["min", "mean", "max", "std"].map(k => el("tr", {}, el("td", {}, k),
        el("td", {}, num(s[k]))))));
    box.append(histogram(s.histogram));
  }
  if (s.nonfinite) box.append(el("div", { class: "warn" }, `${s.nonfinite} values are nan or inf`));
  return box;
}

function histogram(h) {
  const width = 340, height = 74, top = Math.max(...h.counts, 1);
  const bar = width / h.counts.length;
  const svg = el("svg", { class: "hist", width, height: height + 14 });
  h.counts.forEach((c, i) => {
    const tall = c ? Math.max(1.5, (height - 4) * c / top) : 0;
    svg.append(el("rect", { x: i * bar + 0.5, y: height - tall, width: bar - 1, height: tall },
      el("title", {}, `${c}`)));
  });
  svg.append(el("text", { x: 0, y: height + 12 }, fmt(h.lo)));
  svg.append(el("text", { x: width, y: height + 12, "text-anchor": "end" }, fmt(h.hi)));
  return svg;
}

function section(parent, title, name, ...children) {
  parent.append(el("h3", {}, title), el("div", { "data-section": name }, ...children));
}

function nodeLabel(n) {
  if (n.op === "leaf") return n.name || `leaf ${n.id}`;
  return n.name ? `${n.op} ${n.name}` : `${n.op} ${n.id}`;
}

// The panel for one node; `go(id)` selects another (the links between nodes).
function showNode(panel, model, n, go) {
  const link = id => el("a", { onclick: () => go(id) }, nodeLabel(model.nodes.get(id)));
  const badges = el("div", {});
  if (n.id === model.output) badges.append(el("span", { class: "badge output" }, "output"));
  if (n.second_order) badges.append(el("span", { class: "badge second" }, "2nd order"));
  if (n.parameter) badges.append(el("span", { class: "badge param" }, "parameter"));
  if (n.module) badges.append(el("span", { class: "meta" }, `in ${n.module}`));
  panel.replaceChildren(el("h2", {}, n.op === "leaf" ? (n.name || "leaf") : n.op,
    el("small", {}, n.op === "leaf" ? `leaf ${n.id}` : (n.name ? `${n.name} · ${n.id}` : n.id))),
  el("div", { class: "meta" }, `${shapeText(n.shape)} ${n.dtype}`), badges);
  if (n.op === "leaf") {
    section(panel, "Value", "value", renderArray(n.value, n.shape));
    section(panel, `Gradient: d output / d ${n.name || "leaf"}`, "grad",
      n.grad === null ? el("div", { class: "note" }, "no gradient reached it")
        : renderArray(n.grad, n.shape));
    // Where it came from; the parts, when several uses of the leaf sent one each.
    const got = model.received.get(n.id) || [];
    section(panel, "Received from", "received", ...got.map(r => el("div", { class: "send" },
      el("div", { class: "to" }, `step ${r.step + 1}: `, link(r.from), ` (as its x${r.input})`),
      got.length > 1 ? renderArray(r.grad, n.shape) : null)));
    return;
  }
  section(panel, "Backward rule", "rule", el("div", { class: "rule" }, n.rule || "(no docstring)"));
  section(panel, "Forward value", "value", n.value !== null ? renderArray(n.value, n.shape)
    : el("div", { class: "note" }, "Not kept: no tensor that is still alive holds it (name " +
      "the tensor in params, or call retain_grad() on it, to keep it)."));
  const ran = n.step === null ? "never ran" : `step ${n.step + 1} of ${model.steps.length}`;
  section(panel, "Gradient that reached it: gy", "grad",
    el("div", { class: "meta" }, n.id === model.output
      ? `the seed, d output / d output (${model.seed}); ${ran}` : `d output / d this; ${ran}`),
    renderArray(n.grad, n.shape));
  const sends = n.step === null ? [] : model.steps[n.step].sends;
  section(panel, "Sends to its inputs: gx = gy · local derivative", "sends",
    ...n.inputs.map((input, i) => {
      const sent = sends.find(s => s.input === i);
      if (input === null) {
        return el("div", { class: "send note" }, `x${i}: needs no gradient (a constant)`);
      }
      const shape = model.nodes.get(input).shape;
      return el("div", { class: "send" }, el("div", { class: "to" }, `x${i} → `, link(input),
        ` ${shapeText(shape)}`), sent ? renderArray(sent.grad, shape) : el("div", {}, "—"));
    }));
  section(panel, "Saved for backward", "saved", n.saved.length === 0
    ? el("div", { class: "note" }, "nothing: its rule needs only gy")
    : el("ul", {}, ...n.saved.map(s => el("li", {},
      s.what === "output" ? `its output ${shapeText(s.shape)}`
        : s.what === "number" ? ["the number ", num(s.value)]
          : s.what === "array" ? [`an array ${shapeText(s.shape)} ${s.dtype}`,
            renderArray(s.value, s.shape)]
            : [`${s.what}: `, s.of ? link(s.of) : "", ` ${shapeText(s.shape)}`]))));
}

// The panel before anything is clicked: what the page is and how to use it.
function showOverview(panel, model) {
  const out = model.nodes.get(model.output);
  panel.replaceChildren(el("h2", {}, "Backward pass"),
    el("p", {}, "The graph that computed ", el("b", {}, nodeLabel(out)), ` ${shapeText(out.shape)}`,
      out.value !== null && !Array.isArray(out.value) && typeof out.value !== "object"
        ? [" = ", num(out.value)] : "",
      `: ${model.nodes.size} nodes, ${model.steps.length} backward steps.`),
    el("ul", {},
      el("li", {}, "Click a node: its derivative rule, its value, the gradient that reached " +
        "it and what it sent to each input."),
      el("li", {}, "step ▶ (or →) replays the backward pass in the engine's own order, from " +
        "the output back to the leaves."),
      el("li", {}, "Colour: the size of the gradient each node received (root mean square " +
        "per element), on a log scale. Pale: small (vanishing); red: large (exploding)."),
      el("li", {}, "Dashed boxes are modules: click a title to collapse one into a box, " +
        "and the box to open it again. Drag to pan, scroll to zoom.")));
}
