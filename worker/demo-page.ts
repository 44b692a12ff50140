// GET /: a single self-contained page (inline CSS and JS, nothing from a CDN) to try the API: choose or drop
// an image, pick a task, run it, and see boxes, quads and polygons with their labels drawn over the image,
// plus the raw JSON. The overlay canvas carries data-shapes (how many shapes were drawn) for tests.
export const DEMO_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>florence-edge demo</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #f5f5f7; }
  body { margin: 0 auto; max-width: 1100px; padding: 16px; }
  h1 { font-size: 1.3rem; margin: 0 0 12px; }
  form { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 8px 12px; align-items: end; }
  label { display: flex; flex-direction: column; font-size: .85rem; gap: 4px; }
  input, select, button { font: inherit; padding: 6px; }
  button { background: #0a66c2; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
  button:disabled { background: #8aa; cursor: progress; }
  #drop { border: 2px dashed #999; border-radius: 8px; padding: 14px; text-align: center; margin: 12px 0; background: #fff; }
  #drop.over { border-color: #0a66c2; background: #eef5ff; }
  #stage { position: relative; display: inline-block; max-width: 100%; }
  #stage canvas { display: block; max-width: 100%; height: auto; }
  #overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
  #status { margin: 8px 0; min-height: 1.2em; font-size: .9rem; }
  #status.error { color: #b00020; }
  #text { font-size: 1.05rem; margin: 8px 0; white-space: pre-wrap; }
  #model-warning { background: #fff4e5; border: 1px solid #e0a000; border-radius: 4px; padding: 8px; margin: 0 0 12px; }
  pre { background: #fff; border: 1px solid #ddd; padding: 8px; overflow: auto; max-height: 360px; font-size: .8rem; }
</style>
</head>
<body>
<h1>florence-edge: Florence-2 at the edge</h1>
<!--model-warning-->
<form id="form">
  <label>Image <input type="file" id="file" accept="image/*"></label>
  <label>Task <select id="task"></select></label>
  <label>Text input <input type="text" id="text_input" placeholder="(not needed for this task)"></label>
  <label>Beams <select id="num_beams"><option value="">server default</option><option>1</option><option>2</option><option>3</option></select></label>
  <label>Max new tokens <input type="number" id="max_new_tokens" min="1" placeholder="server default"></label>
  <label>API key <input type="password" id="api_key" placeholder="(if required)" autocomplete="off"></label>
  <button type="submit" id="run">Run</button>
</form>
<div id="drop">Drop an image here, or choose one above.</div>
<div id="status" role="status"></div>
<div id="text"></div>
<div id="stage"><canvas id="image" width="0" height="0"></canvas><canvas id="overlay" width="0" height="0" data-shapes="0"></canvas></div>
<h2 style="font-size:1rem">Raw JSON</h2>
<pre id="raw"></pre>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const status = (msg, isError) => { $("status").textContent = msg; $("status").className = isError ? "error" : ""; };
  const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];
  let file = null, tasks = [];
  $("api_key").value = localStorage.getItem("florence-edge-key") || "";

  fetch("v1/tasks").then((r) => r.json()).then((j) => {
    tasks = j.tasks;
    for (const t of tasks) {
      const o = document.createElement("option");
      o.value = t.task; o.textContent = t.task + (t.text_input === "none" ? "" : "  (needs " + t.text_input + ")");
      $("task").append(o);
    }
    $("task").value = "<CAPTION>";
    hint();
  }).catch((e) => status("Could not load the task list: " + e, true));

  function hint() {
    const t = tasks.find((x) => x.task === $("task").value);
    const input = t ? t.text_input : "none";
    $("text_input").disabled = input === "none";
    $("text_input").placeholder = input === "none" ? "(not needed for this task)" : input === "region" ? "x1,y1,x2,y2 in pixels or <loc_..> x4" : "text";
  }
  $("task").addEventListener("change", hint);

  function show(f) {
    file = f;
    const url = URL.createObjectURL(f);
    const img = new Image();
    img.onload = () => {
      for (const id of ["image", "overlay"]) { $(id).width = img.naturalWidth; $(id).height = img.naturalHeight; }
      $("image").getContext("2d").drawImage(img, 0, 0);
      clearOverlay();
      URL.revokeObjectURL(url);
      status(f.name + ": " + img.naturalWidth + "×" + img.naturalHeight);
    };
    img.onerror = () => status("The browser cannot display this file (the server may still read it).", false);
    img.src = url;
  }
  $("file").addEventListener("change", () => { if ($("file").files[0]) show($("file").files[0]); });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) show(e.dataTransfer.files[0]); });

  function clearOverlay() {
    const o = $("overlay");
    o.getContext("2d").clearRect(0, 0, o.width, o.height);
    o.dataset.shapes = "0";
  }

  function draw(answer) {
    clearOverlay();
    const o = $("overlay"), ctx = o.getContext("2d");
    const lw = Math.max(2, Math.round(Math.max(o.width, o.height) / 300));
    const font = Math.max(12, Math.round(Math.max(o.width, o.height) / 45));
    ctx.lineWidth = lw; ctx.font = font + "px system-ui, sans-serif"; ctx.textBaseline = "top";
    let n = 0;
    const label = (text, x, y, color) => {
      if (!text) return;
      const w = ctx.measureText(text).width + 6;
      ctx.fillStyle = color; ctx.fillRect(x, Math.max(0, y - font - 4), w, font + 4);
      ctx.fillStyle = "#fff"; ctx.fillText(text, x + 3, Math.max(0, y - font - 4) + 2);
    };
    const path = (pts, color, fill) => {
      if (pts.length < 4) return;
      ctx.beginPath(); ctx.moveTo(pts[0], pts[1]);
      for (let i = 2; i + 1 < pts.length; i += 2) ctx.lineTo(pts[i], pts[i + 1]);
      ctx.closePath(); ctx.strokeStyle = color; ctx.stroke();
      if (fill) { ctx.globalAlpha = 0.25; ctx.fillStyle = color; ctx.fill(); ctx.globalAlpha = 1; }
    };
    const boxes = (bbs, labels) => bbs.forEach((b, i) => {
      const c = COLORS[n % COLORS.length];
      const [x1, y1, x2, y2] = b;
      ctx.strokeStyle = c; ctx.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
      label(labels[i], Math.min(x1, x2), Math.min(y1, y2), c); n++;
    });
    const polygons = (polys, labels) => polys.forEach((parts, i) => {
      const c = COLORS[n % COLORS.length];
      for (const p of parts) path(p, c, true);
      if (parts[0] && parts[0].length >= 2) label(labels[i], parts[0][0], parts[0][1], c);
      n++;
    });
    if (typeof answer === "string") { $("text").textContent = answer; }
    else if (answer && typeof answer === "object") {
      $("text").textContent = "";
      if (answer.bboxes) boxes(answer.bboxes, answer.labels || answer.bboxes_labels || []);
      if (answer.quad_boxes) answer.quad_boxes.forEach((q, i) => { const c = COLORS[n % COLORS.length]; path(q, c, false); label((answer.labels || [])[i], q[0], q[1], c); n++; });
      if (answer.polygons) polygons(answer.polygons, answer.labels || answer.polygons_labels || []);
    }
    o.dataset.shapes = String(n);
  }

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!file) { status("Choose or drop an image first.", true); return; }
    const params = new URLSearchParams({ task: $("task").value });
    for (const id of ["text_input", "num_beams", "max_new_tokens"]) if ($(id).value && !$(id).disabled) params.set(id, $(id).value);
    const headers = { "content-type": file.type || "application/octet-stream" };
    const key = $("api_key").value.trim();
    localStorage.setItem("florence-edge-key", key);
    if (key) headers["x-api-key"] = key;
    $("run").disabled = true; status("Running " + $("task").value + "…");
    try {
      const res = await fetch("v1/analyze?" + params, { method: "POST", headers, body: file });
      const json = await res.json();
      $("raw").textContent = JSON.stringify(json, null, 2);
      if (!res.ok) { status((json.code || res.status) + ": " + (json.detail || json.title || ""), true); clearOverlay(); return; }
      draw(json.result[json.task]);
      const t = json.timings || {};
      status(json.task + " in " + Math.round(t.total || 0) + " ms · features " + json.cache.features + " · result " + json.cache.result + (json.model.synthetic ? " · synthetic model (random weights)" : ""));
    } catch (err) {
      status("Request failed: " + err, true);
    } finally {
      $("run").disabled = false;
    }
  });
})();
</script>
</body>
</html>
`;

/** The page with a warning that the model answering is a synthetic one (random weights), when it is. */
export function demoPage(model: { synthetic?: boolean; id?: string } | undefined): string {
  if (!model?.synthetic) return DEMO_PAGE;
  const id = (model.id ?? "").replace(/[<>&"]/g, "");
  const warning = `<p id="model-warning" role="alert"><strong>Synthetic model:</strong> this service runs ${id || "a synthetic Florence-2"} with random weights (the real weights could not be downloaded), so its captions and boxes are meaningless. Set up a real model: see the README.</p>`;
  return DEMO_PAGE.replace("<!--model-warning-->", warning);
}
