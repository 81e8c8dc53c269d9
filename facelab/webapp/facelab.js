// facelab in the browser: find, align, embed, compare and search faces on this machine; no photo leaves it.
// Written by hand to teach (chapter 08): it follows facelab's Python step for step, so that both give the same answers.
//   detection: facenet-pytorch's MTCNN cascade (models/pnet|rnet|onet.onnx), as its detect_face() does it
//   alignment: chapter 01's similarity transform onto the ArcFace template, sampled like cv2.warpAffine
//   embedding: chapter 07's ONNX embedder with its normalisation and flip TTA inside the graph (models/embedder.onnx)
// The settings (threshold, template, detector settings, model id) come from model.json, written by `facelab export-web`.
const ort = globalThis.ort;
const S = {}; // the loaded page: settings and onnxruntime sessions

export async function load({threads} = {}) {
  S.cfg = await (await fetch('model.json')).json();
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  // threads need a cross-origin isolated page (COOP/COEP headers, as `facelab serve-web` sends); else one thread
  ort.env.wasm.numThreads = crossOriginIsolated ? (threads || Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  const opt = {executionProviders: ['wasm'], graphOptimizationLevel: 'all'};
  for (const n of ['pnet', 'rnet', 'onet']) S[n] = await ort.InferenceSession.create(`models/${n}.onnx`, opt);
  S.embedder = await ort.InferenceSession.create(S.cfg.embedder, opt);
  return {threads: ort.env.wasm.numThreads, isolated: crossOriginIsolated, model_id: S.cfg.model_id};
}
export const settings = () => S.cfg;

// ---- pixels ---------------------------------------------------------------------------------------------------
// A photo as {rgba (Uint8ClampedArray), w, h}: decoded by the browser, EXIF orientation applied, no colour conversion
export async function readPhoto(src) {
  const blob = src instanceof Blob ? src : await (await fetch(src)).blob();
  let bmp;
  try { bmp = await createImageBitmap(blob, {colorSpaceConversion: 'none', premultiplyAlpha: 'none', imageOrientation: 'from-image'}); }
  catch (e) { throw new Error(`${src.name || src}: not an image the browser can read (${e.message})`); }
  const c = new OffscreenCanvas(bmp.width, bmp.height), g = c.getContext('2d', {willReadFrequently: true});
  g.drawImage(bmp, 0, 0);
  return {rgba: g.getImageData(0, 0, bmp.width, bmp.height).data, w: bmp.width, h: bmp.height, bitmap: bmp};
}

function planar(p) { // RGBA bytes to a 3xHxW float array (what torch sees after permute)
  const n = p.w*p.h, out = new Float32Array(3*n);
  for (let i = 0, j = 0; i < n; i++, j += 4) { out[i] = p.rgba[j]; out[n+i] = p.rgba[j+1]; out[2*n+i] = p.rgba[j+2]; }
  return {data: out, w: p.w, h: p.h};
}

// F.interpolate(mode='area') is adaptive average pooling: output cell i averages input [floor(i*n/m), ceil((i+1)*n/m))
function areaResize(img, x0, y0, cw, ch, ow, oh, out, off) {
  const {data, w, h} = img, tmp = new Float32Array(ch*ow), n = w*h;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < ch; y++) {
      const row = c*n + (y0+y)*w + x0;
      for (let i = 0; i < ow; i++) {
        const a = Math.floor(i*cw/ow), b = Math.ceil((i+1)*cw/ow);
        let s = 0; for (let k = a; k < b; k++) s += data[row+k];
        tmp[y*ow+i] = s/(b-a);
      }
    }
    for (let j = 0; j < oh; j++) {
      const a = Math.floor(j*ch/oh), b = Math.ceil((j+1)*ch/oh);
      for (let i = 0; i < ow; i++) {
        let s = 0; for (let k = a; k < b; k++) s += tmp[k*ow+i];
        out[off + c*oh*ow + j*ow + i] = (s/(b-a) - 127.5)*0.0078125; // MTCNN's input scaling
      }
    }
  }
}

// ---- MTCNN ----------------------------------------------------------------------------------------------------
const f32 = Math.fround;
function iou(a, b, mode, plus) { // torchvision's nms counts areas without +1; facenet's last stage ('Min') with +1
  const p = plus ? 1 : 0, w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1) + p), h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1) + p);
  const inter = w*h, aa = (a.x2-a.x1+p)*(a.y2-a.y1+p), ab = (b.x2-b.x1+p)*(b.y2-b.y1+p);
  return mode === 'min' ? inter/Math.min(aa, ab) : inter/(aa + ab - inter);
}
function nms(boxes, thr, mode = 'union', plus = false) { // greedy, highest score first
  const order = boxes.slice().sort((a, b) => b.score - a.score), keep = [];
  for (const b of order) if (keep.every(k => iou(k, b, mode, plus) <= thr)) keep.push(b);
  return keep;
}
function rerec(b) { // the square around a box on its longer side
  const h = b.y2 - b.y1, w = b.x2 - b.x1, l = Math.max(w, h);
  b.x1 = b.x1 + w*0.5 - l*0.5; b.y1 = b.y1 + h*0.5 - l*0.5; b.x2 = b.x1 + l; b.y2 = b.y1 + l; return b;
}
function bbreg(b, r) {
  const w = b.x2 - b.x1 + 1, h = b.y2 - b.y1 + 1;
  b.x1 += r[0]*w; b.y1 += r[1]*h; b.x2 += r[2]*w; b.y2 += r[3]*h; return b;
}
async function refine(img, boxes, net, size) { // crops of `boxes` (clipped as facenet's pad() does) through R-Net or O-Net
  const ok = [], crops = [];
  for (const b of boxes) {
    const x = Math.max(1, Math.trunc(b.x1)), y = Math.max(1, Math.trunc(b.y1)), ex = Math.min(img.w, Math.trunc(b.x2)), ey = Math.min(img.h, Math.trunc(b.y2));
    if (ey > y - 1 && ex > x - 1) { ok.push(b); crops.push([x - 1, y - 1, ex - x + 1, ey - y + 1]); }
  }
  if (!ok.length) return [[], {}];
  const n = size*size*3, input = new Float32Array(ok.length*n);
  crops.forEach(([x, y, w, h], i) => areaResize(img, x, y, w, h, size, size, input, i*n));
  return [ok, await net.run({input: new ort.Tensor('float32', input, [ok.length, 3, size, size])})];
}

// Faces in a photo: [{box: [x1, y1, x2, y2], score, landmarks: [[x, y] x5]}], largest first (facenet-pytorch's MTCNN.detect)
export async function detect(photo, minFace = S.cfg.detector.min_face) {
  const img = planar(photo), {thresholds: thr, factor} = S.cfg.detector;
  if (Math.min(img.w, img.h) < Math.max(12, minFace)) return [];
  const m = 12/minFace, scales = [];
  for (let s = m, l = Math.min(img.w, img.h)*m; l >= 12; s *= factor, l *= factor) scales.push(s);
  let boxes = [];
  for (const sc of scales) { // stage 1: P-Net over a pyramid
    const hs = Math.floor(img.h*sc + 1), ws = Math.floor(img.w*sc + 1), x = new Float32Array(3*hs*ws);
    areaResize(img, 0, 0, img.w, img.h, ws, hs, x, 0);
    const o = await S.pnet.run({input: new ort.Tensor('float32', x, [1, 3, hs, ws])});
    const [, , H, W] = o.prob.dims, P = o.prob.data, R = o.reg.data, cand = [];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const i = y*W + x, p = P[H*W + i];
      if (p < thr[0]) continue;
      cand.push({x1: Math.floor(f32(f32(2*x + 1)/f32(sc))), y1: Math.floor(f32(f32(2*y + 1)/f32(sc))),
                 x2: Math.floor(f32(f32(2*x + 12)/f32(sc))), y2: Math.floor(f32(f32(2*y + 12)/f32(sc))),
                 score: p, reg: [R[i], R[H*W + i], R[2*H*W + i], R[3*H*W + i]]});
    }
    boxes.push(...nms(cand, 0.5));
  }
  boxes = nms(boxes, 0.7).map(b => {
    const w = b.x2 - b.x1, h = b.y2 - b.y1;
    return rerec({x1: b.x1 + b.reg[0]*w, y1: b.y1 + b.reg[1]*h, x2: b.x2 + b.reg[2]*w, y2: b.y2 + b.reg[3]*h, score: b.score});
  });
  let [ok, o] = await refine(img, boxes, S.rnet, 24); // stage 2: R-Net
  boxes = ok.map((b, i) => ({x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, score: o.prob.data[2*i + 1], reg: Array.from(o.reg.data.slice(4*i, 4*i + 4))}))
            .filter(b => b.score > thr[1]);
  boxes = nms(boxes, 0.7).map(b => rerec(bbreg(b, b.reg)));
  [ok, o] = await refine(img, boxes, S.onet, 48); // stage 3: O-Net, with the landmarks
  boxes = [];
  ok.forEach((b, i) => {
    const score = o.prob.data[2*i + 1];
    if (!(score > thr[2])) return;
    const w = b.x2 - b.x1 + 1, h = b.y2 - b.y1 + 1, pt = o.points.data.slice(10*i, 10*i + 10);
    const landmarks = [0, 1, 2, 3, 4].map(k => [w*pt[k] + b.x1 - 1, h*pt[5 + k] + b.y1 - 1]);
    boxes.push(Object.assign(bbreg({x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2}, Array.from(o.reg.data.slice(4*i, 4*i + 4))), {score, landmarks}));
  });
  const area = b => (b.x2 - b.x1)*(b.y2 - b.y1);
  return nms(boxes, 0.7, 'min', true).filter(b => b.score >= S.cfg.detector.min_score).sort((a, b) => area(b) - area(a))
    .map(b => ({box: [b.x1, b.y1, b.x2, b.y2], score: b.score, landmarks: b.landmarks}));
}

// ---- alignment --------------------------------------------------------------------------------------------------
// The least-squares similarity transform (rotation, scale, shift) taking `src` points onto `dst`: 2x3 [a -b tx; b a ty]
export function similarity(src, dst) {
  const n = src.length, ms = [0, 0], md = [0, 0];
  src.forEach((p, i) => { ms[0] += p[0]/n; ms[1] += p[1]/n; md[0] += dst[i][0]/n; md[1] += dst[i][1]/n; });
  let ss = 0, a = 0, b = 0;
  src.forEach((p, i) => {
    const sx = p[0] - ms[0], sy = p[1] - ms[1], dx = dst[i][0] - md[0], dy = dst[i][1] - md[1];
    ss += sx*sx + sy*sy; a += sx*dx + sy*dy; b += sx*dy - sy*dx;
  });
  a /= ss; b /= ss;
  return [a, -b, md[0] - a*ms[0] + b*ms[1], b, a, md[1] - b*ms[0] - a*ms[1]].map(f32); // float32, as chapter 01's matrix
}

// The face warped onto the template at the model's size: RGB bytes (s*s*3), bilinear with edges repeated (cv2.warpAffine)
export function alignFace(photo, landmarks) {
  const s = S.cfg.size, M = similarity(landmarks, S.cfg.template.map(([x, y]) => [x*s/112, y*s/112]));
  const det = M[0]*M[4] - M[1]*M[3], ia = M[4]/det, ib = -M[1]/det, ic = -M[3]/det, id = M[0]/det; // the inverse map
  const tx = -(ia*M[2] + ib*M[5]), ty = -(ic*M[2] + id*M[5]), out = new Uint8ClampedArray(s*s*3), {rgba, w, h} = photo;
  const px = (x, y, c) => rgba[4*(Math.min(h - 1, Math.max(0, y))*w + Math.min(w - 1, Math.max(0, x))) + c];
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
    const sx = ia*x + ib*y + tx, sy = ic*x + id*y + ty; // OpenCV 5 samples at float coordinates (4.x rounded to 1/32 px)
    const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
    for (let c = 0; c < 3; c++)
      out[3*(y*s + x) + c] = Math.round((px(x0, y0, c)*(1 - fx) + px(x0 + 1, y0, c)*fx)*(1 - fy) + (px(x0, y0 + 1, c)*(1 - fx) + px(x0 + 1, y0 + 1, c)*fx)*fy);
  }
  return out;
}

// ---- embedding and answers ----------------------------------------------------------------------------------------
// Unit embeddings (Float32Array per face) of aligned faces (RGB bytes, s*s*3 each)
export async function embedAligned(faces) {
  const s = S.cfg.size, n = faces.length, x = new Float32Array(n*s*s*3);
  faces.forEach((f, i) => x.set(f, i*s*s*3));
  const e = (await S.embedder.run({faces: new ort.Tensor('float32', x, [n, s, s, 3])})).embedding, d = e.dims[1];
  return Array.from({length: n}, (_, i) => e.data.slice(i*d, (i + 1)*d));
}

function shrink(photo) { // photos larger than max_side are detected on a smaller copy, as chapter 07's _shrink does
  const k = Math.min(1, S.cfg.max_side/Math.max(photo.w, photo.h));
  if (k === 1) return [photo, 1];
  const w = Math.round(photo.w*k), h = Math.round(photo.h*k), c = new OffscreenCanvas(w, h), g = c.getContext('2d', {willReadFrequently: true});
  g.imageSmoothingQuality = 'high'; g.drawImage(photo.bitmap, 0, 0, w, h);
  return [{rgba: g.getImageData(0, 0, w, h).data, w, h}, k];
}

// One photo to its faces, the chosen (largest) face aligned and embedded, and the time each step took
export async function analyse(src) {
  const t0 = performance.now(), photo = await readPhoto(src), [small, k] = shrink(photo), t1 = performance.now();
  const faces = (await detect(small)).map(f => ({box: f.box.map(v => v/k), score: f.score, landmarks: f.landmarks.map(([x, y]) => [x/k, y/k])}));
  const t2 = performance.now();
  if (!faces.length) return {name: src.name || String(src), photo, faces, face: null, ms: {read: t1 - t0, detect: t2 - t1}};
  const aligned = alignFace(photo, faces[0].landmarks), t3 = performance.now(), [embedding] = await embedAligned([aligned]);
  return {name: src.name || String(src), photo, faces, face: 0, aligned, embedding,
          ms: {read: t1 - t0, detect: t2 - t1, align: t3 - t2, embed: performance.now() - t3}};
}

export const cosine = (a, b) => a.reduce((s, v, i) => s + v*b[i], 0);

export function decide(similarity, threshold = S.cfg.threshold) {
  if (threshold === null) throw new Error('this model stores no threshold: calibrate it (chapter 07) before exporting');
  return {similarity, same: similarity >= threshold, threshold, threshold_source: S.cfg.threshold_source};
}

// ---- the gallery, kept in this browser (IndexedDB) ------------------------------------------------------------------
const DB = 'facelab', STORE = 'gallery';
function db() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, {keyPath: 'key', autoIncrement: true});
    r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
  });
}
async function tx(mode, fn) {
  const d = await db();
  return new Promise((ok, fail) => {
    const t = d.transaction(STORE, mode), req = fn(t.objectStore(STORE));
    t.oncomplete = () => ok(req && req.result); t.onerror = () => fail(t.error);
  });
}
export const galleryFaces = () => tx('readonly', s => s.getAll());
export const clearGallery = () => tx('readwrite', s => s.clear());
export async function enrol(name, embedding, source = '') {
  if (!name || !name.trim()) throw new Error('enrolment needs a name');
  return tx('readwrite', s => s.add({name: name.trim(), embedding: Array.from(embedding), model_id: S.cfg.model_id, source, added: Date.now()}));
}

// The enrolled person closest to `embedding`, or the unknown id when no one reaches the threshold (chapter 07's identify)
export async function identify(embedding, threshold = S.cfg.threshold) {
  const all = await galleryFaces(), mine = all.filter(f => f.model_id === S.cfg.model_id);
  let best = {name: S.cfg.unknown_id, similarity: -1};
  for (const f of mine) { const s = cosine(embedding, f.embedding); if (s > best.similarity) best = {name: f.name, similarity: s}; }
  return {id: best.similarity >= threshold ? best.name : S.cfg.unknown_id, nearest: best.name, similarity: best.similarity, threshold,
          searched: mine.length, other_models: all.length - mine.length};
}
