// How the explorer shows the graph: colours by gradient size, and the view: pan (drag), zoom
// (wheel), and what to look at after a change (minidl/explorer.py puts this file inline in the
// page, before explorer.js, whose `state` it reads and moves).
"use strict";

// ------------------------------------------------------------------- colour by gradient size
const RAMP = [[0, [205, 225, 243]], [0.3, [140, 188, 226]], [0.55, [248, 222, 116]],
              [0.8, [239, 146, 66]], [1, [190, 45, 38]]];

function colourOf(size) {
  if (size === 0) return { fill: "#dcdee3", dark: false };
  const t = Math.min(1, Math.max(0, (Math.log10(size) - model.scale.lo) /
                                    (model.scale.hi - model.scale.lo)));
  let i = 1;
  while (i < RAMP.length - 1 && RAMP[i][0] < t) i++;
  const [t0, c0] = RAMP[i - 1], [t1, c1] = RAMP[i];
  const f = (t - t0) / (t1 - t0);
  const c = c0.map((v, k) => Math.round(v + (c1[k] - v) * f));
  return { fill: `rgb(${c.join(",")})`, dark: t > 0.85 };
}

function legend() {
  const stops = RAMP.map(([t, c]) => `rgb(${c.join(",")}) ${t * 100}%`).join(", ");
  const { lo, hi } = model.scale;
  const ticks = el("div", { class: "ticks" });
  const step = Math.max(1, Math.ceil((hi - lo) / 6));  // at most about six labels
  for (let p = Math.ceil(lo); p <= hi; p += step) {
    ticks.append(el("span", { style: `left: ${(100 * (p - lo)) / (hi - lo)}%` },
      p >= -3 && p <= 3 ? fmt(10 ** p) : `1e${p}`));
  }
  const keys = el("div", { class: "keys" },
    el("span", {}, el("i", { style: "background:#fff" }), "not reached yet"),
    el("span", {}, el("i", { style: "background:#dcdee3" }), "zero"));
  if (DATA.nodes.some(n => n.second_order)) {
    keys.append(el("span", {}, el("i", { style: "border:1.5px dashed #7048e8" }), "2nd order"));
  }
  $("legend").replaceChildren(
    el("div", {}, "gradient size per element (rms), log scale"),
    el("div", { class: "bar", style: `background: linear-gradient(to right, ${stops})` }),
    ticks, keys);
}

const READABLE = 0.75;  // the smallest zoom at which labels can be read: pan instead

// Fit the units `ids` in the window (all of them when `ids` is null), at a zoom no smaller
// than READABLE unless `whole`: a long graph then shows its output end (where the backward
// pass starts), or the units asked for, in the middle.
function lookAt(ids, whole = false) {
  const laid = state.drawn.laid;
  const boxes = (ids || [unitOf(model.output)]).map(id => laid.nodes.get(id)).filter(b => b);
  const area = $("graph").getBoundingClientRect();
  const all = { x0: 0, y0: 0, x1: laid.width, y1: laid.height };
  const part = {
    x0: Math.min(...boxes.map(b => b.x - b.width / 2)),
    x1: Math.max(...boxes.map(b => b.x + b.width / 2)),
    y0: Math.min(...boxes.map(b => b.y - b.height / 2)),
    y1: Math.max(...boxes.map(b => b.y + b.height / 2)),
  };
  const zoom = r => Math.min(1.5, (area.width - 60) / (r.x1 - r.x0 + 20),
                             (area.height - 80) / (r.y1 - r.y0 + 40));
  let target = all, k = zoom(all);
  if (!whole && k < READABLE && ids) {
    target = part;
    k = Math.max(READABLE, zoom(part));
  } else if (!whole && k < READABLE) {  // the output at the right, the graph to its left
    k = READABLE;
    target = { ...part, x0: part.x1 - (area.width - 60) / k };
  }
  const cx = (target.x0 + target.x1) / 2, cy = (target.y0 + target.y1) / 2;
  state.view = { k, x: area.width / 2 - cx * k, y: area.height / 2 - cy * k };
  applyView();
}

// Pan, if needed, so that a unit is on screen (the step being replayed, or a followed link).
function keepInView(id) {
  const p = state.drawn.laid.nodes.get(id);
  const area = $("graph").getBoundingClientRect();
  const { x, y, k } = state.view;
  const sx = x + p.x * k, sy = y + p.y * k, margin = 70;
  if (sx < margin || sx > area.width - margin || sy < margin || sy > area.height - margin) {
    state.view = { k, x: area.width / 2 - p.x * k, y: area.height / 2 - p.y * k };
    applyView();
  }
}

function applyView() {
  const { x, y, k } = state.view;
  $("viewport").setAttribute("transform", `translate(${x},${y}) scale(${k})`);
}

// Drag to pan, turn the wheel to zoom around the pointer. A drag is not a click on what it
// started on (state.dragged says so until the click event has passed).
function panAndZoom(graph) {
  graph.addEventListener("wheel", event => {
    event.preventDefault();
    const box = graph.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    const factor = Math.exp(-event.deltaY * 0.0015), v = state.view;
    state.view = { k: v.k * factor, x: px - (px - v.x) * factor, y: py - (py - v.y) * factor };
    applyView();
  }, { passive: false });
  graph.addEventListener("mousedown", event => {
    const start = { x: event.clientX, y: event.clientY, view: { ...state.view } };
    state.dragged = false;
    const move = e => {
      const dx = e.clientX - start.x, dy = e.clientY - start.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) {
        state.dragged = true;
        graph.classList.add("dragging");
      }
      state.view = { ...start.view, x: start.view.x + dx, y: start.view.y + dy };
      applyView();
    };
    const up = () => {
      graph.classList.remove("dragging");
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
      setTimeout(() => { state.dragged = false; });
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  });
}
