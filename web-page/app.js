// The page of `tlearn export --format web`: picks or drops images, resizes each the way tlearn's evaluation
// does (the model's resize mode, in resize.onnx), runs model.onnx with onnxruntime-web (WebAssembly) and shows the
// task's decision and a bar per class. Plain ES module, no build step; every file it loads is in this folder.
import * as ort from './ort/ort.wasm.min.mjs';
import { resizeInputs } from './resize.js';

// onnxruntime-web looks for its .mjs/.wasm next to this folder's copy, never on a CDN.
ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
// Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages (served with
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp). Elsewhere: 1.
ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

const $ = (id) => document.getElementById(id);

/** Python's round(): halves to the even neighbour (torchvision's CenterCrop offsets). */
function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * tlearn's eval geometry (src/data/decode.ts evalGeometry): 'squash' resizes the whole image to size×size;
 * 'crop' resizes the shorter side to round(size / 0.875) (256 for 224), the longer one truncated in
 * proportion, then takes the centred size×size.
 */
export function evalGeometry(width, height, size, mode) {
  if (mode === 'squash') return { resizeWidth: size, resizeHeight: size, left: 0, top: 0 };
  const short = Math.max(size, Math.round(size / 0.875));
  let rw, rh;
  if (width <= height) { rw = short; rh = Math.max(short, Math.floor((short * height) / width)); }
  else { rh = short; rw = Math.max(short, Math.floor((short * width) / height)); }
  return { resizeWidth: rw, resizeHeight: rh, left: roundHalfEven((rw - size) / 2), top: roundHalfEven((rh - size) / 2) };
}

// The resize of tlearn's evaluation (Pillow's bilinear, as torchvision's Resize does it: a triangle filter as
// wide as the scale, width pass then height pass, each rounded half up and clipped to 0..255) and the crop run in
// resize.onnx with onnxruntime-web: resize.js works out the weights of the crop window's outputs, the graph
// does the pixel arithmetic (two MatMuls). The browser's own resampling (canvas drawImage, createImageBitmap's
// resize) is a different filter: on fine detail it was 10 to 15 grey levels off on average, which moved the
// probabilities by about 0.01.
let resizeSession = null;
function resizer() {
  resizeSession ??= ort.InferenceSession.create('resize.onnx', { executionProviders: ['wasm'] })
    .catch((e) => { resizeSession = null; throw e; });
  return resizeSession;
}

/**
 * The model's input for one image: uint8 RGB pixels, NHWC [1, size, size, 3]; the graph itself casts, scales
 * and normalises. As tlearn decodes: the EXIF orientation applied, transparency composited over white (both by
 * the browser: the canvas is filled white before the image is drawn), the model's resize mode, the centre crop.
 * The decoders still differ a little (JPEG's chroma upsampling, colour profiles), hence a small tolerance.
 */
export async function pixels(file, size, mode) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const { width: w, height: h } = bitmap;
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const r = resizeInputs(w, h, evalGeometry(w, h, size, mode), size);
  const feeds = {
    image: new ort.Tensor('uint8', new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length), [h, w, 4]),
    starts: new ort.Tensor('int64', BigInt64Array.from(r.starts, BigInt), [3]),
    ends: new ort.Tensor('int64', BigInt64Array.from(r.ends, BigInt), [3]),
    width_weights: new ort.Tensor('float32', r.widthWeights.data, r.widthWeights.dims),
    height_weights: new ort.Tensor('float32', r.heightWeights.data, r.heightWeights.dims),
  };
  const input = (await (await resizer()).run(feeds)).pixels;
  return { input, rgb: input.data };
}

/** A graph of this folder in onnxruntime-web: its one output for its one input. */
async function runOnly(session, x) {
  return (await session.run({ [session.inputNames[0]]: x }))[session.outputNames[0]];
}

/**
 * The model's probabilities for one image's input. With `tta` (model.json's tta 'flip' or 'dihedral': tta-views.onnx
 * and tta-mean.onnx, the graphs tlearn's ONNX engine uses), the mean of the views' probabilities, as
 * `tlearn predict --tta MODE`: the views graph makes the batch (the image and its mirror; or its 8 symmetries),
 * the mean graph averages its rows.
 */
export async function probabilities(session, tta, input) {
  if (!tta) return Array.from((await runOnly(session, input)).data);
  const views = await runOnly(tta.views, input);
  const both = await runOnly(session, views);
  views.dispose();
  const mean = await runOnly(tta.mean, both);
  return Array.from(mean.data);
}

/**
 * A model with conformal sets (model.json metadata.conformal): the classes whose probability p has 1 − p ≤ q̂, as
 * `tlearn predict`'s `set` (a binary model's classes have probabilities 1 − p and p).
 */
function conformalSet(meta, probs) {
  const byClass = meta.task === 'binary' ? [1 - probs[0], probs[0]] : probs;
  const q = meta.conformal.qhat; // one cut, or one per class (class-conditional sets)
  return meta.classes.filter((_, i) => 1 - byClass[i] <= (Array.isArray(q) ? q[i] : q));
}

/** The task's reading of the output row, as `tlearn predict` reports it, with the conformal set when the model has one. */
function decide(meta, probs) {
  const out = decideTask(meta, probs);
  if (!meta.conformal || meta.task === 'multilabel') return out;
  const set = conformalSet(meta, probs);
  return { ...out, set, note: `${out.note} · set {${set.join(', ')}} (holds the true class ${Math.round((1 - meta.conformal.alpha) * 100)} % of the time)` };
}

function decideTask(meta, probs) {
  const { task, classes } = meta;
  if (task === 'binary') {
    const p = probs[0];
    const positive = p >= meta.threshold;
    return {
      label: classes[positive ? 1 : 0],
      probability: p,
      bars: [{ name: classes[0], value: 1 - p, chosen: !positive }, { name: classes[1], value: p, chosen: positive }],
      note: `P(${classes[1]}) = ${p.toFixed(3)}, threshold ${meta.threshold}`,
    };
  }
  if (task === 'multiclass') {
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    return {
      label: classes[best],
      probability: probs[best],
      bars: classes.map((name, i) => ({ name, value: probs[i], chosen: i === best })),
      note: `P = ${probs[best].toFixed(3)}`,
    };
  }
  const chosen = classes.filter((_, i) => probs[i] >= meta.thresholds[i]);
  return {
    label: chosen.join(', '),
    labels: chosen,
    bars: classes.map((name, i) => ({ name, value: probs[i], chosen: probs[i] >= meta.thresholds[i], threshold: meta.thresholds[i] })),
    note: chosen.length ? `${chosen.length} of ${classes.length} labels at or above their thresholds` : 'no label at or above its threshold',
  };
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

/** One result card: thumbnail, file name, decision, a bar per class (a <meter>, read out by screen readers). */
function resultItem(file, outcome) {
  const item = el('li', { class: 'result', 'data-file': file.name });
  item.append(el('img', { class: 'thumb', src: URL.createObjectURL(file), alt: '', width: 96, height: 96 }));
  const body = el('div', { class: 'body' }, el('h3', { class: 'file' }, file.name));
  if (outcome.error) {
    item.classList.add('failed');
    item.setAttribute('data-error', outcome.error);
    body.append(el('p', { class: 'decision' }, `Could not classify: ${outcome.error}`));
  } else {
    item.setAttribute('data-label', outcome.label);
    item.setAttribute('data-probabilities', JSON.stringify(outcome.probabilities));
    if (outcome.set) item.setAttribute('data-set', JSON.stringify(outcome.set));
    body.append(el('p', { class: 'decision' }, el('strong', {}, outcome.label || '(none)'), ` — ${outcome.note}`));
    const bars = el('ul', { class: 'bars' });
    for (const bar of outcome.bars) {
      const id = `bar-${crypto.randomUUID()}`;
      const mark = bar.threshold === undefined ? '' : ` (threshold ${bar.threshold})`;
      bars.append(el('li', { class: bar.chosen ? 'chosen' : '' },
        el('label', { htmlFor: id }, bar.name),
        el('meter', { id, min: 0, max: 1, value: bar.value }),
        el('span', { class: 'value' }, `${bar.value.toFixed(3)}${mark}`)));
    }
    body.append(bars);
  }
  item.append(body);
  return item;
}

/** What each test-time augmentation averages, for the summary line. */
const TTA_SUMMARY = { flip: 'the mean of each image and its mirror', dihedral: 'the mean of each image\'s 8 symmetries (mirrored or not, turned 0 to 3 quarter turns)' };

async function main() {
  const status = $('status');
  const setStatus = (state, text) => { status.dataset.state = state; status.textContent = text; };
  let meta, session, tta = null;
  try {
    const page = await (await fetch('model.json')).json();
    if (page.input !== 'uint8-nhwc') throw new Error(`model.json: input ${page.input} (this page feeds uint8-nhwc)`);
    // A page written before tta existed has none: plain forward passes.
    if (![undefined, null, ...Object.keys(TTA_SUMMARY)].includes(page.tta)) {
      throw new Error(`model.json: tta ${page.tta} (this page knows ${Object.keys(TTA_SUMMARY).join(', ')})`);
    }
    meta = page.metadata;
    const open = (file) => ort.InferenceSession.create(file, { executionProviders: ['wasm'] });
    session = await open('model.onnx');
    if (page.tta) {
      const [views, mean] = await Promise.all([open('tta-views.onnx'), open('tta-mean.onnx')]);
      tta = { mode: page.tta, views, mean };
    }
    await resizer();
  } catch (e) {
    setStatus('failed', `The model could not be loaded: ${e.message}`);
    console.error(e);
    return;
  }
  const kind = { binary: 'binary', multiclass: 'multi-class', multilabel: 'multi-label' }[meta.task];
  document.title = `${meta.arch} ${kind} classifier — tlearn`;
  $('title').textContent = `${meta.arch} ${kind} classifier`;
  $('summary').textContent = `Classes: ${meta.classes.join(', ')} · ${meta.imageSize} px, ${meta.resize} resize` +
    (meta.task === 'binary' ? ` · threshold ${meta.threshold}` : '') +
    (tta ? ` · test-time augmentation: ${TTA_SUMMARY[tta.mode]}` : '') + ` · ${ort.env.wasm.numThreads} thread(s)`;
  setStatus('ready', 'Ready: choose or drop images.');

  let queue = Promise.resolve();
  let done = 0;
  const classify = (files) => {
    const images = [...files].filter((f) => f.type.startsWith('image/') || f.type === '');
    if (!images.length) return;
    queue = queue.then(async () => {
      setStatus('busy', `Classifying ${images.length} image(s)…`);
      const t0 = performance.now();
      for (const file of images) {
        let outcome;
        try {
          const { input } = await pixels(file, meta.imageSize, meta.resize);
          const probs = await probabilities(session, tta, input);
          input.dispose();
          outcome = { ...decide(meta, probs), probabilities: probs };
        } catch (e) {
          outcome = { error: e.message || String(e) };
        }
        $('results').prepend(resultItem(file, outcome));
      }
      done += images.length;
      const ms = performance.now() - t0;
      status.dataset.done = String(done);
      status.dataset.ms = ms.toFixed(1);
      setStatus('ready', `Classified ${done} image(s) (last ${images.length} in ${(ms / 1000).toFixed(2)} s). Choose or drop more.`);
    });
  };

  const input = $('files');
  input.disabled = false;
  input.addEventListener('change', () => { classify(input.files); input.value = ''; });
  const drop = $('drop');
  for (const type of ['dragenter', 'dragover']) drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); classify(e.dataTransfer.files); });
}

main();
