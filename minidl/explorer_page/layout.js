// The explorer's graph layout: a layered drawing, inputs on the left and the output on the
// right (minidl/explorer.py puts this file inline in the page, first of explorer.SCRIPTS).
//
// The classic recipe for drawing a directed acyclic graph (Sugiyama, Tagawa and Toda, 1981):
//   1. give every node a column, so that every edge points to the right;
//   2. cut edges that span several columns into one-column pieces, through invisible "bend"
//      points, so that they can bend around the nodes in between;
//   3. order each column so that edges cross little: a node moves to the mean position of
//      its neighbours in the next column (the "barycenter"), sweeping right and left;
//   4. place the nodes of each column vertically near their neighbours, without overlaps.
"use strict";

const LAYOUT = { columnGap: 56, rowGap: 16, clusterGap: 30, orderSweeps: 8, placeSweeps: 10 };

// nodes: [{id, width, height, cluster}]; edges: [{from, to}] (from an input to the node using
// it). Nodes of one cluster (a module's box, or null) are kept together in each column, with
// room around them for the box. Returns {nodes: Map id -> {x, y, width, height} (x, y: the
// centre), edges: [{from, to, points: [[x, y], ...]}], width, height}.
function layoutGraph(nodes, edges) {
  const info = new Map(nodes.map(n => [n.id, { ...n, ins: [], outs: [] }]));
  for (const e of edges) {
    info.get(e.from).outs.push(e.to);
    info.get(e.to).ins.push(e.from);
  }
  const column = assignColumns(info);
  const { columns, pieces, chains } = splitLongEdges(info, edges, column);
  const cluster = id => (info.has(id) ? info.get(id).cluster || null : null);
  orderColumns(columns, pieces, cluster);
  const placed = placeNodes(columns, pieces, info, cluster);
  const routed = edges.map((e, i) => ({ from: e.from, to: e.to,
                                         points: route(e, chains[i], placed, pieces) }));
  return { nodes: placed.boxes, edges: routed, width: placed.width, height: placed.height };
}

// 1. The output's column is the last; every other node sits one column left of the leftmost
// node that uses it (its longest path to the output), so a parameter sits next to its op.
// Nodes are visited from the output back, each once all its users are placed (no recursion:
// graphs can be thousands of nodes deep).
function assignColumns(info) {
  const depth = new Map();
  const waiting = new Map();
  const ready = [];
  for (const [id, n] of info) {
    waiting.set(id, n.outs.length);
    if (n.outs.length === 0) { ready.push(id); depth.set(id, 0); }
  }
  while (ready.length) {
    const id = ready.pop();
    for (const input of info.get(id).ins) {
      depth.set(input, Math.max(depth.get(input) || 0, depth.get(id) + 1));
      waiting.set(input, waiting.get(input) - 1);
      if (waiting.get(input) === 0) ready.push(input);
    }
  }
  const deepest = Math.max(0, ...depth.values());
  const column = new Map();
  for (const [id, d] of depth) column.set(id, deepest - d);
  return column;
}

// 2. Columns as lists of ids; an edge over several columns becomes a chain of bend points
// (chains[i]: those of edges[i]). pieces.ins / pieces.outs: the one-column neighbours of
// every node and bend point.
function splitLongEdges(info, edges, column) {
  const count = Math.max(0, ...column.values()) + 1;
  const columns = Array.from({ length: count }, () => []);
  const ins = new Map(), outs = new Map();
  const add = (id, c) => { columns[c].push(id); ins.set(id, []); outs.set(id, []); };
  // Initial order: depth first from the output, inputs in order; it already reads well.
  const seen = new Set();
  const roots = [...info.keys()].filter(id => info.get(id).outs.length === 0);
  const stack = roots.reverse();
  while (stack.length) {
    const id = stack.pop();
    if (seen.has(id)) continue;
    seen.add(id);
    add(id, column.get(id));
    stack.push(...[...info.get(id).ins].reverse());
  }
  let bends = 0;
  const chains = edges.map(e => {
    const chain = [];
    let previous = e.from;
    for (let c = column.get(e.from) + 1; c < column.get(e.to); c++) {
      const bend = `bend:${bends++}`;
      chain.push(bend);
      add(bend, c);
      outs.get(previous).push(bend);
      ins.get(bend).push(previous);
      previous = bend;
    }
    outs.get(previous).push(e.to);
    ins.get(e.to).push(previous);
    return chain;
  });
  return { columns, pieces: { ins, outs }, chains };
}

// 3. Barycenter sweeps, keeping the order with the fewest crossings. After each sort, the
// nodes of a cluster move together, to their mean place.
function orderColumns(columns, pieces, cluster) {
  const index = new Map();
  const reindex = () => columns.forEach(col => col.forEach((id, i) => index.set(id, i)));
  columns.forEach(col => keepClustersTogether(col, cluster));
  reindex();
  let best = columns.map(col => col.slice());
  let fewest = crossings(columns, pieces, index);
  for (let sweep = 0; sweep < LAYOUT.orderSweeps && fewest > 0; sweep++) {
    const rightward = sweep % 2 === 0;
    const order = rightward ? columns.keys() : [...columns.keys()].reverse();
    for (const c of order) {
      const neighbours = rightward ? pieces.ins : pieces.outs;
      const key = new Map(columns[c].map(id => {
        const ns = neighbours.get(id);
        const mean = ns.length ? ns.reduce((s, n) => s + index.get(n), 0) / ns.length
          : index.get(id);
        return [id, mean];
      }));
      columns[c].sort((a, b) => key.get(a) - key.get(b));
      keepClustersTogether(columns[c], cluster);
      columns[c].forEach((id, i) => index.set(id, i));
    }
    const now = crossings(columns, pieces, index);
    if (now < fewest) { fewest = now; best = columns.map(col => col.slice()); }
  }
  best.forEach((col, c) => { columns[c] = col; });
  reindex();
}

function keepClustersTogether(col, cluster) {
  const places = new Map();  // cluster -> positions of its members
  col.forEach((id, i) => {
    const c = cluster(id);
    if (c !== null) places.set(c, [...(places.get(c) || []), i]);
  });
  const where = (id, i) => {
    const c = cluster(id);
    if (c === null) return [i, "", i];
    const p = places.get(c);
    return [p.reduce((s, v) => s + v, 0) / p.length, c, i];
  };
  const keys = new Map(col.map((id, i) => [id, where(id, i)]));
  col.sort((a, b) => {
    const [ma, ca, ia] = keys.get(a), [mb, cb, ib] = keys.get(b);
    return ma - mb || (ca < cb ? -1 : ca > cb ? 1 : 0) || ia - ib;
  });
}

function crossings(columns, pieces, index) {
  let total = 0;
  for (let c = 0; c + 1 < columns.length; c++) {
    const segments = [];
    for (const id of columns[c]) {
      for (const to of pieces.outs.get(id)) segments.push([index.get(id), index.get(to)]);
    }
    for (let i = 0; i < segments.length; i++) {
      for (let j = i + 1; j < segments.length; j++) {
        const [a0, a1] = segments[i], [b0, b1] = segments[j];
        if ((a0 - b0) * (a1 - b1) < 0) total++;
      }
    }
  }
  return total;
}

// 4. Columns left to right, each as wide as its widest node. Each sweep moves every node to
// the mean height of its neighbours, then pushes overlapping nodes apart (in column order)
// and shifts the column back by the mean displacement, so that it stays centred.
function placeNodes(columns, pieces, info, cluster) {
  const size = id => info.get(id) || { width: 0, height: 0 };  // bend points are points
  const x = new Map(), y = new Map();
  let left = 0;
  for (const col of columns) {
    const width = Math.max(0, ...col.map(id => size(id).width));
    let top = 0;
    for (const id of col) {
      x.set(id, left + width / 2);
      y.set(id, top + size(id).height / 2);
      top += size(id).height + LAYOUT.rowGap;
    }
    left += width + LAYOUT.columnGap;
  }
  for (let sweep = 0; sweep < LAYOUT.placeSweeps; sweep++) {
    const rightward = sweep % 2 === 0;
    const order = rightward ? [...columns.keys()] : [...columns.keys()].reverse();
    for (const c of order) {
      const wanted = columns[c].map(id => {
        const ns = [...pieces.ins.get(id), ...pieces.outs.get(id)];
        return ns.length ? ns.reduce((s, n) => s + y.get(n), 0) / ns.length : y.get(id);
      });
      spreadApart(columns[c], wanted, size, y, cluster);
    }
  }
  const boxes = new Map();
  let minY = Infinity, maxY = -Infinity, maxX = 0;
  for (const [id, n] of info) {
    minY = Math.min(minY, y.get(id) - n.height / 2);
    maxY = Math.max(maxY, y.get(id) + n.height / 2);
    maxX = Math.max(maxX, x.get(id) + n.width / 2);
  }
  for (const id of x.keys()) y.set(id, y.get(id) - minY);
  for (const [id, n] of info) {
    boxes.set(id, { x: x.get(id), y: y.get(id), width: n.width, height: n.height });
  }
  return { boxes, x, y, width: maxX, height: maxY - minY };
}

function spreadApart(col, wanted, size, y, cluster) {
  const placed = [];
  let bottom = -Infinity;
  col.forEach((id, i) => {
    const half = size(id).height / 2;
    const gap = i > 0 && cluster(id) !== cluster(col[i - 1]) ? LAYOUT.clusterGap : LAYOUT.rowGap;
    const centre = Math.max(wanted[i], bottom + gap + half);
    placed.push(centre);
    bottom = centre + half;
  });
  const shift = placed.reduce((s, p, i) => s + wanted[i] - p, 0) / Math.max(1, col.length);
  col.forEach((id, i) => y.set(id, placed[i] + shift));
}

// An edge's points: out of the right side of its input, through its bend points, into the
// left side of the node using it (several inputs enter at different heights, in order).
function route(e, chain, placed, pieces) {
  const { x, y, boxes } = placed;
  const from = boxes.get(e.from), to = boxes.get(e.to);
  const points = [[from.x + from.width / 2, from.y]];
  for (const b of chain) points.push([x.get(b), y.get(b)]);
  const entering = pieces.ins.get(e.to).map(n => y.get(n)).sort((a, b) => a - b);
  const last = chain.length ? y.get(chain[chain.length - 1]) : from.y;
  const k = entering.length, rank = entering.indexOf(last);
  const offset = k > 1 ? (rank / (k - 1) - 0.5) * Math.min(to.height * 0.6, 12 * (k - 1)) : 0;
  points.push([to.x - to.width / 2, to.y + offset]);
  return points;
}
