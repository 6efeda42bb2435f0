// Click-to-segment page of the UltraSam web demo. All state lives on the
// server (ultrasam/apis/web_app.py); this page sends one request per prompt
// and draws the returned overlays. No external resources are loaded.
'use strict';

// Margin (display pixels) around the image: clicks there are outside it.
const MARGIN = 24;
// A drag shorter than this (display pixels) is a click.
const DRAG_THRESHOLD = 5;
const MAX_DISPLAY = { width: 900, height: 620, upscale: 3 };

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx = canvas.getContext('2d');

let state = null;          // last state the server returned
let frameImage = null;     // <img> of the current frame
let overlays = [];         // <img> per candidate
let acceptedImage = null;  // <img> of the accepted masks of this frame
let scale = 1;
let drag = null;           // {x0, y0, x1, y1, button} in canvas pixels
let busy = false;
let predictions = 0;

function showMessage(text, isError) {
  const box = $('message');
  box.textContent = text;
  box.className = isError ? 'error' : 'info';
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (err) { body = null; }
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    throw new Error(`${detail} (HTTP ${response.status})`);
  }
  return body;
}

function postJson(path, payload) {
  return api(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload || {}),
  });
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser could not show an image the server sent'));
    img.src = src;
  });
}

function layout() {
  scale = Math.min(MAX_DISPLAY.width / state.width, MAX_DISPLAY.height / state.height,
                   MAX_DISPLAY.upscale);
  canvas.width = Math.round(state.width * scale) + 2 * MARGIN;
  canvas.height = Math.round(state.height * scale) + 2 * MARGIN;
  // For scripts that click image pixels (the browser test).
  canvas.dataset.scale = String(scale);
  canvas.dataset.margin = String(MARGIN);
}

function toImage(cx, cy) {
  return [(cx - MARGIN) / scale, (cy - MARGIN) / scale];
}

function toCanvas(x, y) {
  return [x * scale + MARGIN, y * scale + MARGIN];
}

function drawMarker(prompt) {
  const [cx, cy] = toCanvas(prompt.x + 0.5, prompt.y + 0.5);
  ctx.beginPath();
  ctx.arc(cx, cy, 6, 0, 2 * Math.PI);
  ctx.fillStyle = prompt.label === 1 ? '#2ecc71' : '#e74c3c';
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
}

function drawBox(x1, y1, x2, y2, dashed) {
  ctx.save();
  ctx.setLineDash(dashed ? [6, 4] : []);
  ctx.lineWidth = 2;
  ctx.strokeStyle = '#f1c40f';
  ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  ctx.restore();
}

function draw() {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!state || !frameImage) return;
  const w = state.width * scale, h = state.height * scale;
  ctx.drawImage(frameImage, MARGIN, MARGIN, w, h);
  if (acceptedImage) ctx.drawImage(acceptedImage, MARGIN, MARGIN, w, h);
  if (state.selected !== null && overlays[state.selected]) {
    ctx.drawImage(overlays[state.selected], MARGIN, MARGIN, w, h);
  }
  for (const prompt of state.prompts) {
    if (prompt.type === 'point') {
      drawMarker(prompt);
    } else {
      const [x1, y1] = toCanvas(prompt.x1, prompt.y1);
      const [x2, y2] = toCanvas(prompt.x2 + 1, prompt.y2 + 1);
      drawBox(x1, y1, x2, y2, false);
    }
  }
  if (drag && drag.moved) drawBox(drag.x0, drag.y0, drag.x1, drag.y1, true);
}

function renderPanel() {
  const list = $('candidates');
  list.replaceChildren();
  state.candidates.forEach((candidate, index) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.textContent = `IoU ${candidate.iou.toFixed(3)} · ${candidate.area} px`;
    button.setAttribute('aria-pressed', String(index === state.selected));
    button.addEventListener('click', () => run(() => postJson(sessionPath('select'), { index })));
    item.appendChild(button);
    list.appendChild(item);
  });
  $('measurements').textContent = measurementText(state.measurements);
  const accepted = state.accepted.length;
  $('accepted-count').textContent = accepted
    ? `${accepted} mask(s), ${state.accepted.filter((a) => a.frame === state.frame).length} on this frame`
    : 'none';
  const hasMask = state.selected !== null;
  $('undo-button').disabled = state.prompts.length === 0;
  $('reset-button').disabled = state.prompts.length === 0;
  $('accept-button').disabled = !hasMask;
  $('mask-link').classList.toggle('disabled', !hasMask);
  $('mask-link').href = hasMask ? sessionPath('mask.png') : '#';
  $('coco-link').classList.toggle('disabled', accepted === 0);
  $('coco-link').href = accepted ? sessionPath('coco.json') : '#';
  $('frame-control').hidden = state.num_frames < 2;
  $('frame-slider').max = String(state.num_frames - 1);
  $('frame-slider').value = String(state.frame);
  $('frame-label').textContent = `${state.frame + 1} / ${state.num_frames}`;
}

// The selected mask's measurements (mm when the file is calibrated).
function measurementText(m) {
  if (!m) return '–';
  const u = m.unit;
  let text = `area ${m.area.toFixed(1)} ${u}², axes ${m.long_axis.toFixed(1)} × ` +
    `${m.short_axis.toFixed(1)} ${u}, perimeter ${m.perimeter.toFixed(1)} ${u}`;
  if (m.contrast_ratio !== null) {
    text += `, inside / ring echo ${m.contrast_ratio.toFixed(2)}`;
  }
  if (u === 'px') text += ` (${m.calibration_note})`;
  return text;
}

function sessionPath(name) {
  return `/api/sessions/${state.session}/${name}`;
}

// Applies a new server state: reloads the frame when it changed, decodes
// the overlays, then draws. Returns when the overlay is on screen.
async function applyState(next, reloadFrame) {
  const [frame, candidateImages, accepted] = await Promise.all([
    reloadFrame ? loadImage(`/api/sessions/${next.session}/image.png?frame=${next.frame}&t=${Date.now()}`)
                : Promise.resolve(frameImage),
    Promise.all(next.candidates.map((c) => loadImage(c.overlay))),
    next.accepted_overlay ? loadImage(next.accepted_overlay) : Promise.resolve(null),
  ]);
  state = next;
  frameImage = frame;
  overlays = candidateImages;
  acceptedImage = accepted;
  if (reloadFrame) layout();
  draw();
  renderPanel();
  document.body.dataset.session = state.session;
  document.body.dataset.frame = String(state.frame);
  document.body.dataset.encodeMs = String(state.encode_ms);
}

// Runs one request; shows its error, never leaves the page busy.
async function run(request, { reloadFrame = false, started = null } = {}) {
  if (busy) return;
  busy = true;
  try {
    const next = await request();
    await applyState(next, reloadFrame);
    if (started !== null) {
      const latency = performance.now() - started;
      predictions += 1;
      document.body.dataset.lastLatencyMs = latency.toFixed(1);
      document.body.dataset.lastServerMs = String(next.server_ms);
      document.body.dataset.lastDecodeMs = String(next.decode_ms);
      document.body.dataset.predictions = String(predictions);
      $('latency').textContent = `click → overlay ${latency.toFixed(0)} ms ` +
        `(server ${next.server_ms} ms, decoder ${next.decode_ms} ms)`;
    }
    if (next.encode_ms && reloadFrame) {
      showMessage(`Image encoded in ${next.encode_ms.toFixed(0)} ms. Left click: object, ` +
                  'right click: background, drag: box.', false);
    } else if (reloadFrame) {
      showMessage('Image embedding reused from the cache. Left click: object, ' +
                  'right click: background, drag: box.', false);
    } else {
      showMessage(state.prompts.length ? `${state.prompts.length} prompt(s)` : 'Ready.', false);
    }
  } catch (err) {
    showMessage(err.message, true);
    document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
  } finally {
    busy = false;
  }
}

function eventPosition(event) {
  const rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * canvas.width / rect.width,
          (event.clientY - rect.top) * canvas.height / rect.height];
}

canvas.addEventListener('contextmenu', (event) => event.preventDefault());

canvas.addEventListener('mousedown', (event) => {
  if (!state || busy) return;
  const [x, y] = eventPosition(event);
  drag = { x0: x, y0: y, x1: x, y1: y, button: event.button, moved: false };
});

canvas.addEventListener('mousemove', (event) => {
  if (!drag) return;
  [drag.x1, drag.y1] = eventPosition(event);
  drag.moved = drag.moved || Math.hypot(drag.x1 - drag.x0, drag.y1 - drag.y0) > DRAG_THRESHOLD;
  if (drag.moved) draw();
});

canvas.addEventListener('mouseup', (event) => {
  if (!drag) return;
  const started = performance.now();
  const current = drag;
  [current.x1, current.y1] = eventPosition(event);
  drag = null;
  if (current.moved && current.button === 0) {
    // A box is clamped to the image: dragging past its edge is natural.
    const clamp = (v, max) => Math.min(Math.max(v, 0), max - 1);
    const [ax, ay] = toImage(current.x0, current.y0);
    const [bx, by] = toImage(current.x1, current.y1);
    const box = {
      x1: clamp(Math.min(ax, bx), state.width), y1: clamp(Math.min(ay, by), state.height),
      x2: clamp(Math.max(ax, bx), state.width), y2: clamp(Math.max(ay, by), state.height),
    };
    run(() => postJson(sessionPath('box'), box), { started });
  } else if (!current.moved && (current.button === 0 || current.button === 2)) {
    // Pixel indices; a click outside the image is sent as it is and the
    // server explains why it cannot be used.
    const [x, y] = toImage(current.x1, current.y1).map(Math.floor);
    run(() => postJson(sessionPath('points'), { x, y, label: current.button === 0 ? 1 : 0 }),
        { started });
  } else {
    draw();
  }
});

$('file-input').addEventListener('change', (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  showMessage(`Uploading and encoding ${file.name}…`, false);
  run(() => api(`/api/sessions?filename=${encodeURIComponent(file.name)}`, {
    method: 'POST', body: file,
  }), { reloadFrame: true });
});

$('frame-slider').addEventListener('change', (event) => {
  const index = Number(event.target.value);
  showMessage(`Encoding frame ${index + 1}…`, false);
  run(() => postJson(sessionPath('frame'), { index }), { reloadFrame: true });
});

$('undo-button').addEventListener('click', () => run(() => postJson(sessionPath('undo'))));
$('reset-button').addEventListener('click', () => run(() => postJson(sessionPath('reset'))));
$('accept-button').addEventListener('click', () => run(() => postJson(sessionPath('accept'))));

document.addEventListener('keydown', (event) => {
  // A focused button or input handles its own keys (Enter would act twice).
  if (!state || ['INPUT', 'BUTTON'].includes(event.target.tagName)) return;
  if ((event.ctrlKey || event.metaKey) && event.key === 'z' && state.prompts.length) {
    run(() => postJson(sessionPath('undo')));
  } else if (event.key === 'Escape' && state.prompts.length) {
    run(() => postJson(sessionPath('reset')));
  } else if (event.key === 'Enter' && state.selected !== null) {
    run(() => postJson(sessionPath('accept')));
  }
});

api('/api/info').then((info) => {
  $('model-info').textContent = `${info.model} · ${info.input_size[0]} px input · ` +
    `${info.device} · images up to ${(info.max_pixels / 1e6).toFixed(0)} MP`;
  document.body.dataset.ready = '1';
}).catch((err) => showMessage(`cannot reach the server: ${err.message}`, true));
