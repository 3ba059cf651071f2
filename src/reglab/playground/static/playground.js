// reglab playground page: draws what the server streams and sends the user's choices.
// No build step and no third-party code: plain DOM, canvas and one WebSocket.
// The server validates everything; this page only keeps its controls in step with the config the
// server last accepted (each "data" message carries it), so a rejected change snaps back.
(() => {
  "use strict";

  const DEFAULTS = {
    dataset: "circle", n_samples: 500, noise: 0, train_ratio: 50, batch_size: 10,
    features: ["x1", "x2"], layers: [4, 2], activations: ["tanh", "tanh"],
    learning_rate: 0.03, optimizer: "sgd", regularization: "none", reg_rate: 0, dropout: 0, seed: 0,
  };
  const LIST_KEYS = ["features", "layers", "activations"];
  const RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5];
  const P = window.PlaygroundPaint;
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    kids.forEach((k) => e.append(k));
    return e;
  };

  // A number as typed: text that is not a number stays text, so the server's error quotes what
  // the user wrote ("layers[1]='x'") rather than the null that JSON makes of NaN.
  const asNumber = (v) => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
  let ws = null, opts = null, data = null, cfg = readHash(), generation = -1, lastFrame = null;
  let wanted = structuredClone(cfg);  // the link's set-up until the server has accepted one
  let losses = [], pendingFrame = null, drawing = false, drawn = [], fallbacks = 0;
  const stats = { framesDrawn: 0, fps: 0, errors: [], windowStart: performance.now(), windowCount: 0 };

  // ---------------------------------------------------------------- URL state ----------------
  function readHash() {
    const out = structuredClone(DEFAULTS);
    const params = new URLSearchParams(location.hash.slice(1));
    for (const [k, v] of params) {
      if (!(k in DEFAULTS)) continue;
      if (LIST_KEYS.includes(k)) {
        const items = v === "" ? [] : v.split(",");
        out[k] = k === "layers" ? items.map(asNumber) : items;
      } else if (typeof DEFAULTS[k] === "number") out[k] = asNumber(v);
      else out[k] = v;
    }
    return out;
  }
  function writeHash() {
    const p = new URLSearchParams();
    for (const k of Object.keys(DEFAULTS)) p.set(k, Array.isArray(cfg[k]) ? cfg[k].join(",") : cfg[k]);
    window.history.replaceState(null, "", "#" + p.toString());
  }

  // ---------------------------------------------------------------- messages -----------------
  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }
  function sendConfig() { hideError(); send({ type: "config", config: cfg }); }
  function showError(text) {
    stats.errors.push(text);
    $("error-text").textContent = text;
    $("error").hidden = false;
  }
  function hideError() { $("error").hidden = true; }

  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws`);
    ws.onopen = () => { $("conn").textContent = "connected"; $("conn").className = "ok"; };
    ws.onclose = (ev) => {
      $("conn").textContent = `disconnected (code ${ev.code})`; $("conn").className = "bad";
      setPlaying(false);
      if (ev.code !== 1000) showError(`Connection to the server closed (code ${ev.code}${ev.reason ? ": " + ev.reason : ""}). Reload the page to start again.`);
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "hello") onHello(msg);
      else if (msg.type === "data") onData(msg);
      else if (msg.type === "frame") onFrame(msg);
      else if (msg.type === "state") setPlaying(msg.playing);
      else if (msg.type === "error") onError(msg);
    };
  }

  function onHello(msg) {
    opts = msg.options;
    buildStatic();
    sendConfig();
  }

  // A rejected change snaps back: the controls (and the URL) return to the last accepted config.
  // Before any config was accepted (a bad link opened), only the offending field falls back to
  // its default, so the rest of the link (the data set, say) is kept.
  function onError(msg) {
    showError(msg.message);
    // (The server's own set-up arrives first as generation 0; the link's is generation 1.)
    if (!wanted || (data && data.generation > 0)) {
      if (data) { cfg = structuredClone(data.config); syncControls(); }
      return;
    }
    if (!ws || ++fallbacks > 8) { wanted = null; return; }  // defaults are always accepted
    const field = msg.field in DEFAULTS ? msg.field : null;
    const keys = field === "layers" || field === "activations" ? ["layers", "activations"] : [field];
    if (field === null || keys.every((k) => JSON.stringify(wanted[k]) === JSON.stringify(DEFAULTS[k])))
      wanted = structuredClone(DEFAULTS);
    else keys.forEach((k) => { wanted[k] = structuredClone(DEFAULTS[k]); });
    cfg = structuredClone(wanted);
    send({ type: "config", config: cfg });
  }

  function onData(msg) {
    data = msg;
    if (msg.generation > 0) { wanted = null; fallbacks = 0; }
    $("notice-text").textContent = msg.notice || "";
    $("notice").hidden = !msg.notice;
    cfg = structuredClone(msg.config);
    generation = msg.generation;
    losses = [];
    syncControls();
    buildNetwork();
    drawPoints();
  }

  function onFrame(frame) {
    if (frame.generation < generation) { send({ type: "ack", frame: frame.frame }); return; }
    if (frame.generation > generation) { generation = frame.generation; losses = []; }
    if (!losses.length || losses[losses.length - 1].epoch !== frame.epoch)
      losses.push({ epoch: frame.epoch, train: frame.train_loss, test: frame.test_loss });
    if (losses.length > 2000) losses = losses.filter((_, i) => i % 2 === 0);
    pendingFrame = frame;
    requestAnimationFrame(drawPending);
  }

  function drawPending() {
    const frame = pendingFrame;
    if (!frame || !data) return;
    pendingFrame = null;
    lastFrame = frame;
    const t0 = performance.now();
    drawFrame(frame);
    stats.drawMs = 0.9 * (stats.drawMs || 0) + 0.1 * (performance.now() - t0);
    stats.framesDrawn++; stats.windowCount++;
    const now = performance.now();
    if (now - stats.windowStart >= 1000) {
      stats.fps = (1000 * stats.windowCount) / (now - stats.windowStart);
      stats.windowStart = now; stats.windowCount = 0;
      $("fps").textContent = stats.fps.toFixed(0);
    }
    send({ type: "ack", frame: frame.frame });
  }

  // ---------------------------------------------------------------- static UI ----------------
  function fillSelect(sel, values, label = String) {
    sel.replaceChildren(...values.map((v) => el("option", { value: String(v) }, label(v))));
  }
  function ensureOption(sel, value) {
    if (![...sel.options].some((o) => o.value === String(value))) sel.append(el("option", { value: String(value) }, String(value)));
    sel.value = String(value);
  }

  function buildStatic() {
    fillSelect($("learning_rate"), RATES);
    fillSelect($("reg_rate"), REG_RATES);
    fillSelect($("dropout"), DROPOUTS);
    const box = $("datasets");
    box.replaceChildren();
    for (const d of opts.datasets) {
      const c = el("canvas", { width: 52, height: 52 });
      const b = el("button", { "data-dataset": d.name, title: `${d.label} (${d.problem})`,
        onclick: () => { cfg.dataset = d.name; sendConfig(); } }, c, el("span", {}, d.label));
      box.append(b);
      P.paintThumb(c, d.preview, d.problem);
    }
    box.append(el("button", { "data-dataset": "custom", id: "custom-btn", title: "Your own points", hidden: "",
      onclick: () => { cfg.dataset = "custom"; sendConfig(); } }, el("canvas", { width: 52, height: 52 }),
    el("span", {}, "Your data")));
    const feats = $("features");
    feats.replaceChildren(...opts.features.map((f) => el("div", { class: "feature", "data-feature": f.name,
      title: `${f.label}: the network receives ${f.input}, so every input has about unit size on the plane; click to switch it on or off, hover to see it large` },
      el("label", { onclick: () => toggleFeature(f.name) }, f.label),
      el("div", { class: "node", onclick: () => toggleFeature(f.name) }, el("canvas", { width: 20, height: 20 })))));
    for (const key of ["learning_rate", "reg_rate", "dropout"])
      $(key).onchange = (e) => { cfg[key] = Number(e.target.value); sendConfig(); };
    for (const key of ["optimizer", "regularization"])
      $(key).onchange = (e) => { cfg[key] = e.target.value; sendConfig(); };
    for (const key of ["train_ratio", "noise", "batch_size"]) {
      $(key).oninput = (e) => { $(key + "-v").textContent = e.target.value; };
      $(key).onchange = (e) => { cfg[key] = Number(e.target.value); sendConfig(); };
    }
  }

  function toggleFeature(name) {
    const on = new Set(cfg.features);
    on.has(name) ? on.delete(name) : on.add(name);
    cfg.features = opts.features.map((f) => f.name).filter((n) => on.has(n));
    sendConfig();
  }

  function syncControls() {
    for (const key of ["learning_rate", "reg_rate", "dropout", "optimizer", "regularization"]) ensureOption($(key), cfg[key]);
    for (const key of ["train_ratio", "noise", "batch_size"]) { $(key).value = cfg[key]; $(key + "-v").textContent = cfg[key]; }
    document.querySelectorAll("#datasets button").forEach((b) => b.classList.toggle("selected", b.dataset.dataset === cfg.dataset));
    if (data && data.config.dataset === "custom") {
      $("custom-btn").hidden = false;
      P.paintThumb($("custom-btn").querySelector("canvas"), [...data.train, ...data.test], data.problem);
    }
    document.querySelectorAll(".feature").forEach((f) => f.classList.toggle("off", !cfg.features.includes(f.dataset.feature)));
    $("n-layers").textContent = cfg.layers.length;
    $("layers-word").textContent = cfg.layers.length === 1 ? "hidden layer" : "hidden layers";
    const problem = data ? data.problem : "binary";
    $("problem").textContent = { binary: "classification", multiclass: "multiclass (softmax)", regression: "regression" }[problem];
    const glm = { binary: "logistic regression", multiclass: "softmax (multinomial logistic) regression", regression: "linear regression" }[problem];
    $("glm-note").hidden = cfg.layers.length > 0;
    $("glm-note").textContent = `GLM mode: with no hidden layer the network is eta = X W + b followed by the family's canonical inverse link, i.e. ${glm} on the chosen features.`;
    writeHash();
  }

  // ---------------------------------------------------------------- network ------------------
  function buildNetwork() {
    const layers = $("layers");
    layers.replaceChildren();
    cfg.layers.forEach((n, l) => {
      const act = el("select", { "data-layer": l, onchange: (e) => { cfg.activations[l] = e.target.value; sendConfig(); } });
      fillSelect(act, opts.activations);
      act.value = cfg.activations[l];
      const head = el("div", { class: "layer-head" },
        el("button", { title: "Add a neuron", onclick: () => resize(l, +1) }, "+"),
        el("button", { title: "Remove a neuron", onclick: () => resize(l, -1) }, "\u2212"),
        el("div", {}, `${n} neuron${n > 1 ? "s" : ""}`), act);
      const col = el("div", { class: "layer-col", "data-layer": l }, head);
      for (let j = 0; j < n; j++) col.append(el("div", { class: "node", "data-neuron": `${l}-${j}`,
        title: `hidden layer ${l + 1}, neuron ${j + 1} (${cfg.activations[l]}): hover to see its output over the plane` },
      el("canvas", { width: 20, height: 20 })));
      layers.append(col);
    });
    const k = data.problem === "multiclass" ? data.n_classes : 1;
    $("output-units").replaceChildren(...Array.from({ length: k }, (_, i) =>
      el("div", { class: "out-unit", title: `output ${i}`, style: `background:${k > 1 ? P.css(P.CLASS_RGB[i]) : "#fff"}` })));
    for (const [name, [, b64]] of Object.entries(data.inputs)) {
      const node = document.querySelector(`.feature[data-feature="${name}"] canvas`);
      if (node) P.paintSymmetric(node, data.neuron_side, b64);
    }
    buildEdges();
    drawLegend();
  }

  function resize(l, delta) {
    const n = cfg.layers[l] + delta;
    if (n < 1 || n > opts.limits.max_neurons) return;
    cfg.layers[l] = n; sendConfig();
  }

  let edgeEls = [], lastEdges = 0;
  function buildEdges() {
    const cols = [cfg.features.map((f) => document.querySelector(`.feature[data-feature="${f}"] .node`))];
    cfg.layers.forEach((n, l) => cols.push([...document.querySelectorAll(`.layer-col[data-layer="${l}"] .node`)]));
    cols.push([...document.querySelectorAll("#output-units .out-unit")]);
    edgeEls = P.makeEdges($("edges"), $("network").getBoundingClientRect(), cols);
  }

  // ---------------------------------------------------------------- frame drawing ------------
  // Hovering a feature or a neuron shows its map large in the output panel, as on TensorFlow
  // Playground; leaving it restores the network's output.
  let hovering = false;
  function onNodeHover(ev) {
    const canvas = ev.target.closest(".node") && ev.target.closest(".node").querySelector("canvas");
    if (!canvas || !canvas._b64 || !data) return;
    hovering = true;
    P.paintPreview($("heatmap"), data.neuron_side, canvas._b64);
  }
  function onNodeLeave() {
    hovering = false;
    if (lastFrame) drawOutput(lastFrame.output);
  }

  function drawOutput(out) {
    if (!hovering) P.paintOutput($("heatmap"), data.output_side, out, $("discretize").checked);
  }

  function drawPoints() {
    if (!data) return;
    if (drawing) { P.paintPoints($("points"), [{ points: drawn, stroke: "#000" }], $("draw-problem").value); return; }
    const sets = [{ points: data.train, stroke: "#fff" }];
    if ($("show-test").checked) sets.push({ points: data.test, stroke: "#000" });
    P.paintPoints($("points"), sets, data.problem);
  }

  function drawLegend() {
    const leg = $("legend");
    leg.replaceChildren();
    const swatch = (rgb, text) => el("span", {}, el("i", { style: `background:${P.css(rgb)}` }), text);
    if (data.problem === "regression") {
      // An uploaded target is shown rescaled onto [-1, 1]: say which of its values those are.
      const sc = data.target_scale, g = (v) => Number(v.toPrecision(4)).toString();
      if (sc) leg.append(swatch(P.NEG, `${g(sc.range[0])} (-1)`), swatch(P.POS, `${g(sc.range[1])} (+1)`),
        el("span", { class: "scale" }, `${sc.name}, rescaled onto [-1, 1]; the loss is in those units`));
      else leg.append(swatch(P.NEG, "-1"), swatch(P.POS, "+1"));
      return;
    }
    const names = data.class_names.length ? data.class_names : Array.from({ length: data.n_classes }, (_, k) => `class ${k}`);
    names.forEach((n, k) => leg.append(swatch(P.CLASS_RGB[k], n)));
  }

  const fmt = (v) => (v === null || v === undefined ? "\u2013" : v.toFixed(3));
  function drawFrame(f) {
    $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    $("test-loss").textContent = fmt(f.test_loss);
    $("train-loss").textContent = fmt(f.train_loss);
    $("test-acc").textContent = f.test_accuracy !== undefined ? `accuracy ${(100 * f.test_accuracy).toFixed(1)}%` : "";
    $("train-acc").textContent = f.train_accuracy !== undefined ? `accuracy ${(100 * f.train_accuracy).toFixed(1)}%` : "";
    drawOutput(f.output);
    f.neurons.forEach((layer, l) => layer.forEach(([b64], j) => {
      const c = document.querySelector(`[data-neuron="${l}-${j}"] canvas`);
      if (c) P.paintSymmetric(c, data.neuron_side, b64);
    }));
    // Edges repaint the whole network panel (software compositing in a headless or GPU-less
    // browser), and weights move slowly: 5 updates a second are enough, and the last frame of a
    // run is always drawn.
    const now = performance.now();
    if (now - lastEdges > 200 || $("play").dataset.playing !== "1") {
      P.updateEdges(edgeEls, f.weights);
      lastEdges = now;
    }
    const top = P.paintLossChart($("loss-chart"), losses);
    $("loss-scale").textContent = top ? `0 \u2013 ${top.toPrecision(3)}` : "";
  }

  function setPlaying(p) {
    $("play").classList.toggle("playing", p);
    $("play").dataset.playing = p ? "1" : "0";
  }

  // ---------------------------------------------------------------- user data ----------------
  function drawClassOptions() {
    const p = $("draw-problem").value;
    const vals = p === "regression" ? [-1, -0.5, 0, 0.5, 1] : p === "binary" ? [0, 1] : [0, 1, 2, 3, 4, 5, 6, 7];
    fillSelect($("draw-class"), vals, (v) => (p === "regression" ? `target ${v}` : `class ${v}`));
  }
  function onCanvasClick(ev) {
    if (!drawing) return;
    const r = ev.target.getBoundingClientRect();
    const x1 = ((ev.clientX - r.left) / r.width) * 12 - 6, x2 = 6 - ((ev.clientY - r.top) / r.height) * 12;
    drawn.push([+x1.toFixed(3), +x2.toFixed(3), Number($("draw-class").value)]);
    drawPoints();
    const classes = new Set(drawn.map((p) => p[2]));
    if (drawn.length >= 4 && (classes.size >= 2 || $("draw-problem").value === "regression"))
      send({ type: "points", problem: $("draw-problem").value, points: drawn });
  }
  function toggleDrawing() {
    drawing = !drawing;
    $("draw").setAttribute("aria-pressed", String(drawing));
    $("draw-opts").hidden = !drawing;
    document.body.classList.toggle("drawing", drawing);
    if (drawing) { drawn = []; drawClassOptions(); }
    drawPoints();
  }
  async function onUpload(ev) {
    const file = ev.target.files[0];
    if (!file) return;
    const limit = opts ? opts.limits.max_message_bytes - 1024 : 250000;
    if (file.size > limit) { showError(`${file.name} is ${file.size} bytes; the limit is ${limit}`); ev.target.value = ""; return; }
    hideError();
    send({ type: "upload", csv: await file.text() });
    ev.target.value = "";
  }

  // ---------------------------------------------------------------- wiring -------------------
  function wire() {
    $("play").onclick = () => send({ type: $("play").dataset.playing === "1" ? "pause" : "play" });
    $("step").onclick = () => send({ type: "step" });
    $("reset").onclick = () => send({ type: "reset" });
    $("regenerate").onclick = () => { cfg.seed = (cfg.seed + 1) % 2147483647; sendConfig(); };
    $("add-layer").onclick = () => {
      if (cfg.layers.length >= opts.limits.max_layers) return;
      cfg.layers.push(2); cfg.activations.push(cfg.activations[cfg.activations.length - 1] || "tanh"); sendConfig();
    };
    $("remove-layer").onclick = () => { if (cfg.layers.length) { cfg.layers.pop(); cfg.activations.pop(); sendConfig(); } };
    $("glm").onclick = () => { cfg.layers = []; cfg.activations = []; sendConfig(); };
    $("error-close").onclick = hideError;
    $("notice-close").onclick = () => { $("notice").hidden = true; };
    $("show-test").onchange = drawPoints;
    $("discretize").onchange = () => lastFrame && drawOutput(lastFrame.output);
    $("points").addEventListener("click", onCanvasClick);
    $("draw").onclick = toggleDrawing;
    $("draw-problem").onchange = () => { drawn = []; drawClassOptions(); drawPoints(); };
    $("draw-clear").onclick = () => { drawn = []; drawPoints(); };
    $("upload").addEventListener("change", onUpload);
    for (const id of ["features", "layers"]) {
      $(id).addEventListener("mouseover", (ev) => { if (ev.target.closest(".node")) onNodeHover(ev); });
      $(id).addEventListener("mouseout", (ev) => { if (ev.target.closest(".node")) onNodeLeave(); });
    }
    window.addEventListener("resize", () => data && buildEdges());
    // A link edited by hand in the address bar (or the hash set by a script) is a new config:
    // the page follows it, and a rejected one snaps back to the last accepted config as usual.
    // writeHash uses history.replaceState, which fires no hashchange, so this sees only the user.
    window.addEventListener("hashchange", () => { cfg = readHash(); wanted = null; sendConfig(); });
    setInterval(() => {  // show 0 frames/s once frames stop arriving (paused, or tab idle)
      if (performance.now() - stats.windowStart > 1500) {
        stats.fps = 0; stats.windowStart = performance.now(); stats.windowCount = 0;
        $("fps").textContent = "0";
      }
    }, 500);
    setPlaying(false);
  }

  window.playground = {
    stats,
    state: () => ({ cfg: structuredClone(cfg), generation, problem: data && data.problem, lastFrame, connected: !!ws && ws.readyState === 1 }),
    send,
  };
  wire();
  connect();
})();
