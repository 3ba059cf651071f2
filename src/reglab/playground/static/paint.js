// reglab playground: everything that turns streamed numbers into pixels. Pure functions of their
// arguments (no page state), loaded before playground.js and exposed as window.PlaygroundPaint.
(() => {
  "use strict";

  const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
  const CLASS_RGB = [NEG, POS, [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
    [227, 119, 194], [23, 190, 207]];
  const mix = (a, b, t) => [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t);
  const diverging = (t) => (t < 0 ? mix(MID, NEG, Math.min(1, -t)) : mix(MID, POS, Math.min(1, t)));
  const css = (c) => `rgb(${c.map(Math.round).join(",")})`;
  const lighten = (c) => mix([255, 255, 255], c, 0.75);

  // Palettes indexed by the byte the server sends (q = 0..255 <-> t = q / 127.5 - 1), built once:
  // painting a frame is then a table look-up per cell, no allocation.
  const lut = (f) => {
    const out = new Uint8ClampedArray(256 * 3);
    for (let q = 0; q < 256; q++) out.set(f(q / 127.5 - 1).map(Math.round), 3 * q);
    return out;
  };
  const LUT_NEURON = lut(diverging);
  const LUT_OUTPUT = lut((t) => lighten(diverging(t)));
  const LUT_OUTPUT_DISCRETE = lut((t) => lighten(diverging(t < 0 ? -1 : 1)));

  function decode(b64) {
    const s = atob(b64), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // ImageData reused per canvas (resizing a canvas every frame would reallocate and clear it).
  function imageFor(canvas, side) {
    if (canvas.width !== side || canvas.height !== side || !canvas._img) {
      canvas.width = side; canvas.height = side;
      canvas._img = canvas.getContext("2d").createImageData(side, side);
    }
    return canvas._img;
  }
  function paintLut(canvas, side, q, table) {
    const img = imageFor(canvas, side), d = img.data;
    for (let i = 0, j = 0; i < side * side; i++, j += 4) {
      const k = 3 * q[i];
      d[j] = table[k]; d[j + 1] = table[k + 1]; d[j + 2] = table[k + 2]; d[j + 3] = 255;
    }
    canvas.getContext("2d").putImageData(img, 0, 0);
  }

  /** A neuron's or feature's map (symmetric bytes, 0 = white). Keeps b64 for the hover preview. */
  function paintSymmetric(canvas, side, b64) {
    canvas._b64 = b64;
    paintLut(canvas, side, decode(b64), LUT_NEURON);
  }

  /** A small map shown large in the output panel (hover preview). */
  function paintPreview(canvas, side, b64) { paintLut(canvas, side, decode(b64), LUT_OUTPUT); }

  /** The output map: one byte map for binary (p) or regression (y on [-1, 1]); K probability maps
   * for multiclass, painted as the probability-weighted mean of the class colours. */
  function paintOutput(canvas, side, out, discretize) {
    const maps = out.maps.map(decode);
    if (out.kind !== "multiclass") {
      paintLut(canvas, side, maps[0], discretize ? LUT_OUTPUT_DISCRETE : LUT_OUTPUT);
      return;
    }
    const img = imageFor(canvas, side), d = img.data;
    for (let i = 0; i < side * side; i++) {
      let best = 0, c = [0, 0, 0];
      maps.forEach((m, k) => {
        if (m[i] > maps[best][i]) best = k;
        c = c.map((v, j) => v + (m[i] / 255) * CLASS_RGB[k][j]);
      });
      const rgb = lighten(discretize ? CLASS_RGB[best] : c);
      d[4 * i] = rgb[0]; d[4 * i + 1] = rgb[1]; d[4 * i + 2] = rgb[2]; d[4 * i + 3] = 255;
    }
    canvas.getContext("2d").putImageData(img, 0, 0);
  }

  function pointColour(y, problem) {
    if (problem === "regression") return diverging(y);
    if (problem === "binary") return y >= 0.5 ? POS : NEG;
    return CLASS_RGB[y % CLASS_RGB.length];
  }

  /** Points [[x1, x2, y], ...] in page units on a canvas covering [-6, 6]^2; sets are
   * [{points, stroke}] drawn in order (training points white-edged, test points black-edged). */
  function paintPoints(canvas, sets, problem) {
    const ctx = canvas.getContext("2d"), S = canvas.width;
    ctx.clearRect(0, 0, S, S);
    for (const { points, stroke } of sets) {
      for (const [x1, x2, y] of points) {
        ctx.beginPath();
        ctx.arc(((x1 + 6) / 12) * S, ((6 - x2) / 12) * S, 3.5, 0, 2 * Math.PI);
        ctx.fillStyle = css(pointColour(y, problem));
        ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
      }
    }
  }

  function paintThumb(canvas, preview, problem) {
    const ctx = canvas.getContext("2d"), S = canvas.width;
    ctx.fillStyle = "#f4f4f4"; ctx.fillRect(0, 0, S, S);
    for (const [x1, x2, y] of preview || []) {
      ctx.fillStyle = css(pointColour(y, problem));
      ctx.fillRect(((x1 + 6) / 12) * S - 1, ((6 - x2) / 12) * S - 1, 2.5, 2.5);
    }
  }

  /** Training (grey) and test (black) loss against the frame index, from 0 at the bottom to the
   * largest loss at the top, with a faint line at each quarter; returns that largest loss. */
  function paintLossChart(canvas, losses) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    const vals = losses.flatMap((h) => [h.train, h.test]).filter((v) => v !== null && v !== undefined);
    if (losses.length < 2 || !vals.length) return null;
    const top = Math.max(...vals) || 1;
    ctx.strokeStyle = "#eee"; ctx.lineWidth = 1;
    for (const q of [0.25, 0.5, 0.75]) {
      const y = Math.round(H - q * (H - 4) - 2) + 0.5;
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.stroke();
    }
    for (const [key, colour] of [["train", "#999"], ["test", "#000"]]) {
      ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
      losses.forEach((h, i) => {
        const x = (i / (losses.length - 1)) * W, y = H - ((h[key] ?? 0) / top) * (H - 4) - 2;
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      });
      ctx.stroke();
    }
    return top;
  }

  /** One SVG line per weight between consecutive columns of node elements:
   * returns lines[i][a][b] for the weight from node a of column i to node b of column i + 1. */
  function makeEdges(svg, box, cols) {
    svg.replaceChildren();
    const centre = (e) => {
      const r = e.getBoundingClientRect();
      return [r.left - box.left + r.width / 2, r.top - box.top + r.height / 2, r];
    };
    const lines = [];
    for (let i = 0; i + 1 < cols.length; i++) {
      lines.push(cols[i].map((a) => cols[i + 1].map((b) => {
        const [x1, y1, ra] = centre(a), [x2, y2, rb] = centre(b);
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", x1 + ra.width / 2); line.setAttribute("y1", y1);
        line.setAttribute("x2", x2 - rb.width / 2); line.setAttribute("y2", y2);
        line.setAttribute("stroke", "#ccc"); line.setAttribute("stroke-width", 1);
        svg.append(line);
        return line;
      })));
    }
    return lines;
  }

  /** Colour by sign (blue positive, orange negative), width by |w|. weights[i] is (n_in, n_out). */
  function updateEdges(lines, weights) {
    weights.forEach((W, i) => W.forEach((row, a) => row.forEach((w, b) => {
      const line = lines[i] && lines[i][a] && lines[i][a][b];
      if (!line) return;
      // Only touch the DOM when the drawn line changes (attribute writes cost style work).
      const key = Math.round(w * 50);
      if (line._key === key) return;
      line._key = key;
      line.setAttribute("stroke", css(diverging(Math.max(-1, Math.min(1, w)))));
      line.setAttribute("stroke-width", Math.min(6, 0.5 + 2 * Math.abs(w)).toFixed(2));
      line.setAttribute("data-weight", w);
      let tip = line.querySelector("title");
      if (!tip) { tip = document.createElementNS("http://www.w3.org/2000/svg", "title"); line.append(tip); }
      tip.textContent = `weight ${w.toFixed(3)} (blue positive, orange negative; width grows with |w|)`;
    })));
  }

  window.PlaygroundPaint = {
    NEG, POS, CLASS_RGB, css, pointColour, paintSymmetric, paintPreview, paintOutput, paintPoints,
    paintThumb, paintLossChart, makeEdges, updateEdges,
  };
})();
