// kiln-vision: what a page does around a compiled vision model, in plain JS
// with no dependency: camera frame to tensor (an affine, bilinear crop),
// BlazeFace anchors, box decoding and non-maximum suppression, FaceMesh
// landmarks in image coordinates with the face tracked from frame to frame,
// MoveNet and PoseNet keypoints.
//
// The rules are MediaPipe's, as TensorFlow.js's model packages implement them
// (@tensorflow-models/face-detection 1.0.3, face-landmarks-detection 1.0.6,
// pose-detection 2.1.3): SSD anchors, the face ROI from the two eyes (scaled
// 1.5x, square), its rotated crop sampled the way tf.image.transform samples
// (output pixel i at i/size of the ROI, no half-pixel offset), landmarks
// projected back through the ROI. test/web/vision.test.mjs checks that the
// results match those packages' on the same frames within a pixel.
//
// Coordinates: "normalized" is [0, 1] of the image's width and height; a
// region (Rect) is {xCenter, yCenter, width, height, rotation} normalized,
// rotation in radians; keypoints and landmarks returned to the page are in
// image pixels.

/** BlazeFace configurations: input size, anchor strides, decoding scale, score threshold. */
export const BLAZEFACE_FRONT = Object.freeze({ inputSize: 128, strides: [8, 16, 16, 16], minScore: 0.5 });
export const BLAZEFACE_BACK = Object.freeze({ inputSize: 256, strides: [16, 32, 32, 32], minScore: 0.5 });

const TWO_PI = 2 * Math.PI;
const normalizeRadians = (a) => a - TWO_PI * Math.floor((a + Math.PI) / TWO_PI);

function check(cond, message) {
  if (!cond) throw new RangeError(`kiln-vision: ${message}`);
}

/**
 * SSD anchor centres for a BlazeFace model (MediaPipe's fixed-size anchors):
 * for each run of equal strides, one feature map of ceil(size / stride)
 * cells with two anchors per layer of the run (the layer's own and the
 * interpolated scale) at each cell's centre. Returns a Float32Array of
 * [x, y] pairs, normalized; 896 anchors for both BlazeFace configurations.
 */
export function ssdAnchors({ inputSize, strides }) {
  check(Number.isInteger(inputSize) && inputSize > 0, `inputSize must be a positive integer, got ${inputSize}`);
  check(Array.isArray(strides) && strides.length > 0, 'strides must be a non-empty array');
  const out = [];
  for (let layer = 0; layer < strides.length;) {
    let last = layer;
    let perCell = 0;
    // Each layer brings one aspect ratio (1.0) plus the interpolated scale.
    while (last < strides.length && strides[last] === strides[layer]) {
      perCell += 2;
      last++;
    }
    const cells = Math.ceil(inputSize / strides[layer]);
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++)
        for (let k = 0; k < perCell; k++) out.push((x + 0.5) / cells, (y + 0.5) / cells);
    layer = last;
  }
  return Float32Array.from(out);
}

// Heads given as an array (the ONNX models' per-grid outputs), end to end.
function joinHeads(heads) {
  if (!Array.isArray(heads)) return heads;
  const out = new Float32Array(heads.reduce((n, h) => n + h.length, 0));
  let o = 0;
  for (const h of heads) {
    out.set(h, o);
    o += h.length;
  }
  return out;
}

/**
 * Decodes BlazeFace's raw output: `raw` is [N, 17] (the score logit, then 16
 * box values: the TF.js models' one output) or [N, 16] with `logits` [N]
 * (the ONNX models' outputs, whose two heads, 16x16 then 8x8 cells, may be
 * given as arrays of two). Boxes are (x, y, w, h) centre-relative,
 * then six (x, y) keypoints, all in input pixels from the anchor's centre.
 * Returns the detections scoring at least `minScore` (sigmoid of the logit
 * clipped to +-100), normalized to the model's input:
 * [{score, box: {xMin, yMin, xMax, yMax}, keypoints: [{x, y}] x 6}].
 */
export function decodeBlazeFace(raw, config, { logits, anchors = ssdAnchors(config), minScore = config.minScore ?? 0.5 } = {}) {
  raw = joinHeads(raw);
  logits = joinHeads(logits);
  const n = anchors.length / 2;
  const stride = logits ? 16 : 17;
  check(raw?.length === n * stride, `BlazeFace output has ${raw?.length} values, expected ${n * stride} (${n} anchors x ${stride})`);
  check(!logits || logits.length === n, `BlazeFace scores have ${logits?.length} values, expected ${n}`);
  const scale = config.inputSize;
  const dets = [];
  for (let i = 0; i < n; i++) {
    const logit = Math.min(100, Math.max(-100, logits ? logits[i] : raw[i * 17]));
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const o = logits ? i * 16 : i * 17 + 1;
    const ax = anchors[2 * i];
    const ay = anchors[2 * i + 1];
    const cx = raw[o] / scale + ax;
    const cy = raw[o + 1] / scale + ay;
    const w = raw[o + 2] / scale;
    const h = raw[o + 3] / scale;
    if (w < 0 || h < 0) continue;
    const keypoints = [];
    for (let k = 0; k < 6; k++) keypoints.push({ x: raw[o + 4 + 2 * k] / scale + ax, y: raw[o + 5 + 2 * k] / scale + ay });
    dets.push({ score, box: { xMin: cx - w / 2, yMin: cy - h / 2, xMax: cx + w / 2, yMax: cy + h / 2 }, keypoints });
  }
  return dets;
}

function iou(a, b) {
  const ix = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
  const iy = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  const union = (a.xMax - a.xMin) * (a.yMax - a.yMin) + (b.xMax - b.xMin) * (b.yMax - b.yMin) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Non-maximum suppression by intersection over union. Plain (the default,
 * what TF.js's face-detection does): keep the best, drop those overlapping
 * it by more than `iouThreshold`, repeat. Weighted (MediaPipe's desktop
 * BlazeFace graphs): each kept detection becomes the score-weighted mean of
 * the boxes and keypoints it suppressed, which steadies the box from frame
 * to frame. At most `maxResults`, best first.
 */
export function nonMaxSuppression(dets, { iouThreshold = 0.3, maxResults = Infinity, weighted = false } = {}) {
  const rest = [...dets].sort((a, b) => b.score - a.score);
  const kept = [];
  while (rest.length && kept.length < maxResults) {
    const best = rest.shift();
    const group = [best];
    for (let i = rest.length - 1; i >= 0; i--) {
      if (iou(best.box, rest[i].box) > iouThreshold) group.push(...rest.splice(i, 1));
    }
    if (!weighted || group.length === 1) {
      kept.push(best);
      continue;
    }
    let total = 0;
    const box = { xMin: 0, yMin: 0, xMax: 0, yMax: 0 };
    const keypoints = best.keypoints.map(() => ({ x: 0, y: 0 }));
    for (const d of group) {
      total += d.score;
      for (const k of Object.keys(box)) box[k] += d.box[k] * d.score;
      d.keypoints.forEach((p, j) => {
        keypoints[j].x += p.x * d.score;
        keypoints[j].y += p.y * d.score;
      });
    }
    for (const k of Object.keys(box)) box[k] /= total;
    for (const p of keypoints) {
      p.x /= total;
      p.y /= total;
    }
    kept.push({ score: best.score, box, keypoints });
  }
  return kept;
}

/** The whole image as a region, padded to the tensor's aspect ratio (letterbox) when `keepAspect`. */
export function wholeImage(width, height, { tensorWidth = 1, tensorHeight = 1, keepAspect = false } = {}) {
  let w = width;
  let h = height;
  if (keepAspect) {
    const tensorAspect = tensorHeight / tensorWidth;
    if (tensorAspect > h / w) h = w * tensorAspect;
    else w = h / tensorAspect;
  }
  return { xCenter: 0.5, yCenter: 0.5, width: w / width, height: h / height, rotation: 0 };
}

// Maps a point (u, v) of a region's own [0, 1] frame to normalized image coordinates.
function fromRegion(r, u, v, aspect) {
  // Rotation happens in pixels: x is scaled by the image's aspect (width / height).
  const dx = (u - 0.5) * r.width * aspect;
  const dy = (v - 0.5) * r.height;
  const c = Math.cos(r.rotation);
  const s = Math.sin(r.rotation);
  return { x: r.xCenter + (c * dx - s * dy) / aspect, y: r.yCenter + s * dx + c * dy };
}

/**
 * Samples `region` of an RGBA frame ({data, width, height}: ImageData, a
 * canvas's pixels, or any Uint8(Clamped)Array of width x height x 4) into an
 * NHWC float tensor of `width` x `height` x 3, bilinear, values mapped from
 * [0, 255] to `range`. Outside the image: zeros (`border: 'zero'`, the
 * detector's letterbox) or the nearest edge pixel (`'replicate'`, the
 * landmark crop). Writes into `out` when given (no allocation per frame).
 */
export function cropToTensor(frame, region, { width, height, range = [0, 1], border = 'zero', out } = {}) {
  const { data, width: iw, height: ih } = frame;
  check(data && data.length === iw * ih * 4, `frame must be RGBA of ${iw}x${ih} (${iw * ih * 4} bytes), got ${data?.length}`);
  check(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0, `tensor size must be positive integers, got ${width}x${height}`);
  const n = width * height * 3;
  const t = out ?? new Float32Array(n);
  check(t.length === n, `out has ${t.length} elements, expected ${n}`);
  const scale = (range[1] - range[0]) / 255;
  const offset = range[0];
  const replicate = border === 'replicate';
  // Pixel coordinates of the region's frame: p(ox, oy) = origin + ox * ex + oy * ey.
  const r = region;
  const c = Math.cos(r.rotation);
  const s = Math.sin(r.rotation);
  const rw = r.width * iw;
  const rh = r.height * ih;
  const ex = [(c * rw) / width, (s * rw) / width];
  const ey = [(-s * rh) / height, (c * rh) / height];
  const ox0 = r.xCenter * iw - 0.5 * c * rw + 0.5 * s * rh;
  const oy0 = r.yCenter * ih - 0.5 * s * rw - 0.5 * c * rh;
  const read = (x, y, ch) => (x >= 0 && x < iw && y >= 0 && y < ih ? data[(y * iw + x) * 4 + ch] : 0);
  const row = iw * 4;
  let o = 0;
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++, o += 3) {
      let x = ox0 + ox * ex[0] + oy * ey[0];
      let y = oy0 + ox * ex[1] + oy * ey[1];
      if (replicate) {
        x = Math.min(Math.max(x, 0), iw - 1);
        y = Math.min(Math.max(y, 0), ih - 1);
      }
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < iw && y0 + 1 < ih) {
        // All four neighbours inside (nearly every sample): no bounds checks.
        const i = y0 * row + x0 * 4;
        for (let ch = 0; ch < 3; ch++) {
          const top = (1 - fx) * data[i + ch] + fx * data[i + 4 + ch];
          const bottom = (1 - fx) * data[i + row + ch] + fx * data[i + row + 4 + ch];
          t[o + ch] = ((1 - fy) * top + fy * bottom) * scale + offset;
        }
        continue;
      }
      for (let ch = 0; ch < 3; ch++) {
        const top = (1 - fx) * read(x0, y0, ch) + fx * read(x0 + 1, y0, ch);
        const bottom = (1 - fx) * read(x0, y0 + 1, ch) + fx * read(x0 + 1, y0 + 1, ch);
        t[o + ch] = ((1 - fy) * top + fy * bottom) * scale + offset;
      }
    }
  }
  return t;
}

/**
 * Maps detections from a region's frame (what decodeBlazeFace returns for a
 * tensor cropped from `region`) to normalized image coordinates; boxes
 * become the bounds of their projected corners.
 */
export function projectDetections(dets, region, imageWidth, imageHeight) {
  const aspect = imageWidth / imageHeight;
  return dets.map((d) => {
    const corners = [[d.box.xMin, d.box.yMin], [d.box.xMax, d.box.yMin], [d.box.xMax, d.box.yMax], [d.box.xMin, d.box.yMax]]
      .map(([u, v]) => fromRegion(region, u, v, aspect));
    const xs = corners.map((p) => p.x);
    const ys = corners.map((p) => p.y);
    return {
      score: d.score,
      box: { xMin: Math.min(...xs), yMin: Math.min(...ys), xMax: Math.max(...xs), yMax: Math.max(...ys) },
      keypoints: d.keypoints.map((p) => fromRegion(region, p.x, p.y, aspect)),
    };
  });
}

// A box and two keypoints to the region the landmark model sees: the box's
// centre, rotated so that the line from keypoint a to b is horizontal,
// squared on its long side and enlarged 1.5x.
function faceRegion(box, a, b, imageWidth, imageHeight) {
  const angle = normalizeRadians(-Math.atan2(-(b.y - a.y) * imageHeight, (b.x - a.x) * imageWidth));
  const side = Math.max((box.xMax - box.xMin) * imageWidth, (box.yMax - box.yMin) * imageHeight) * 1.5;
  return {
    xCenter: (box.xMin + box.xMax) / 2,
    yCenter: (box.yMin + box.yMax) / 2,
    width: side / imageWidth,
    height: side / imageHeight,
    rotation: angle,
  };
}

/** The landmark model's region for a face detection (normalized to the image; keypoints 0 and 1 are the eyes). */
export function faceRegionFromDetection(det, imageWidth, imageHeight) {
  return faceRegion(det.box, det.keypoints[0], det.keypoints[1], imageWidth, imageHeight);
}

/**
 * The region for the next frame from this frame's landmarks (pixels, as
 * decodeFaceMesh returns them): their bounds, rotated by the eyes' outer
 * corners (landmarks 33 and 263). Tracking uses it instead of running the
 * detector again.
 */
export function faceRegionFromLandmarks(points, imageWidth, imageHeight) {
  let xMin = Infinity;
  let yMin = Infinity;
  let xMax = -Infinity;
  let yMax = -Infinity;
  for (let i = 0; i < points.length; i += 3) {
    xMin = Math.min(xMin, points[i]);
    xMax = Math.max(xMax, points[i]);
    yMin = Math.min(yMin, points[i + 1]);
    yMax = Math.max(yMax, points[i + 1]);
  }
  const at = (i) => ({ x: points[3 * i] / imageWidth, y: points[3 * i + 1] / imageHeight });
  const box = { xMin: xMin / imageWidth, yMin: yMin / imageHeight, xMax: xMax / imageWidth, yMax: yMax / imageHeight };
  return faceRegion(box, at(33), at(263), imageWidth, imageHeight);
}

/**
 * FaceMesh's output (`output_mesh`, 468 x (x, y, z) in the 192x192 crop's
 * pixels) to image pixels through the crop's region: a Float32Array of 468
 * x (x, y, z), z scaled like x. `inputSize` is the model's input side.
 */
export function decodeFaceMesh(mesh, region, imageWidth, imageHeight, { inputSize = 192, out } = {}) {
  check(mesh?.length > 0 && mesh.length % 3 === 0, `FaceMesh output must be a multiple of 3 values, got ${mesh?.length}`);
  const n = mesh.length / 3;
  const pts = out ?? new Float32Array(n * 3);
  const aspect = imageWidth / imageHeight;
  for (let i = 0; i < n; i++) {
    const p = fromRegion(region, mesh[3 * i] / inputSize, mesh[3 * i + 1] / inputSize, aspect);
    pts[3 * i] = p.x * imageWidth;
    pts[3 * i + 1] = p.y * imageHeight;
    pts[3 * i + 2] = (mesh[3 * i + 2] / inputSize) * region.width * imageWidth;
  }
  return pts;
}

/** The 17 COCO keypoints, in the order MoveNet and PoseNet give them. */
export const POSE_KEYPOINTS = Object.freeze(['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
  'right_knee', 'left_ankle', 'right_ankle']);

/**
 * MoveNet's first crop of a frame (pose-detection's, for a first frame): the
 * centred square on the short side, as a box normalized to the image.
 */
export function moveNetCrop(imageWidth, imageHeight) {
  if (imageWidth > imageHeight) {
    const w = imageHeight / imageWidth;
    return { yMin: 0, xMin: (1 - w) / 2, yMax: 1, xMax: (1 + w) / 2 };
  }
  const h = imageWidth / imageHeight;
  return { yMin: (1 - h) / 2, xMin: 0, yMax: (1 + h) / 2, xMax: 1 };
}

/**
 * pose-detection's crop when the pose was lost on a frame that is not the
 * first: the whole frame padded to a square (zero outside it), centred.
 */
export function moveNetPaddedCrop(imageWidth, imageHeight) {
  if (imageWidth > imageHeight) {
    const h = imageWidth / imageHeight;
    return { yMin: (1 - h) / 2, xMin: 0, yMax: (1 + h) / 2, xMax: 1 };
  }
  const w = imageHeight / imageWidth;
  return { yMin: 0, xMin: (1 - w) / 2, yMax: 1, xMax: (1 + w) / 2 };
}

const MIN_CROP_SCORE = 0.2;
const TORSO = ['left_shoulder', 'right_shoulder', 'left_hip', 'right_hip'];

/**
 * The next frame's MoveNet crop from this frame's pose (keypoints in image
 * pixels), pose-detection's rule: with a hip and a shoulder scoring over
 * 0.2, a square centred on the hips' midpoint whose half side is the
 * largest of 1.9 x the torso joints' distance from it (in x or y) and 1.2 x
 * any confident keypoint's, cut to the farthest frame edge from the centre;
 * a square larger than the frame, or no torso, gives the padded whole frame.
 */
export function moveNetNextCrop(keypoints, imageWidth, imageHeight) {
  const at = Object.fromEntries(keypoints.map((k) => [k.name, k]));
  const seen = (a, b) => at[a].score > MIN_CROP_SCORE || at[b].score > MIN_CROP_SCORE;
  if (!(seen('left_hip', 'right_hip') && seen('left_shoulder', 'right_shoulder'))) return moveNetPaddedCrop(imageWidth, imageHeight);
  const cx = (at.left_hip.x + at.right_hip.x) / 2;
  const cy = (at.left_hip.y + at.right_hip.y) / 2;
  let torso = 0;
  for (const name of TORSO) torso = Math.max(torso, Math.abs(at[name].x - cx), Math.abs(at[name].y - cy));
  let body = 0;
  for (const k of keypoints) if (k.score >= MIN_CROP_SCORE) body = Math.max(body, Math.abs(k.x - cx), Math.abs(k.y - cy));
  const half = Math.min(Math.max(1.9 * torso, 1.2 * body), Math.max(cx, imageWidth - cx, cy, imageHeight - cy));
  if (half > Math.max(imageWidth, imageHeight) / 2) return moveNetPaddedCrop(imageWidth, imageHeight);
  return { yMin: (cy - half) / imageHeight, xMin: (cx - half) / imageWidth, yMax: (cy + half) / imageHeight, xMax: (cx + half) / imageWidth };
}

/**
 * An axis-aligned box of an RGBA frame resized to `width` x `height` x 3
 * the way tf.image.cropAndResize samples (corners aligned: output pixel i at
 * yMin * (H - 1) + i * (yMax - yMin) * (H - 1) / (height - 1); zero outside
 * the frame), what MoveNet's package feeds it. `out` may be an Int32Array
 * (MoveNet's int32 input: values truncated, as tf.cast does) or a
 * Float32Array (raw 0..255).
 */
export function cropAndResize(frame, box, { width, height, out }) {
  const { data, width: iw, height: ih } = frame;
  check(data && data.length === iw * ih * 4, `frame must be RGBA of ${iw}x${ih} (${iw * ih * 4} bytes), got ${data?.length}`);
  const t = out ?? new Float32Array(width * height * 3);
  check(t.length === width * height * 3, `out has ${t.length} elements, expected ${width * height * 3}`);
  const sy = height > 1 ? ((box.yMax - box.yMin) * (ih - 1)) / (height - 1) : 0;
  const sx = width > 1 ? ((box.xMax - box.xMin) * (iw - 1)) / (width - 1) : 0;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const inY = height > 1 ? box.yMin * (ih - 1) + y * sy : 0.5 * (box.yMin + box.yMax) * (ih - 1);
    const y0 = Math.floor(inY);
    const y1 = Math.ceil(inY);
    const fy = inY - y0;
    for (let x = 0; x < width; x++, o += 3) {
      const inX = width > 1 ? box.xMin * (iw - 1) + x * sx : 0.5 * (box.xMin + box.xMax) * (iw - 1);
      if (inY < 0 || inY > ih - 1 || inX < 0 || inX > iw - 1) {
        t[o] = t[o + 1] = t[o + 2] = 0;
        continue;
      }
      const x0 = Math.floor(inX);
      const x1 = Math.ceil(inX);
      const fx = inX - x0;
      for (let ch = 0; ch < 3; ch++) {
        const at = (yy, xx) => data[(yy * iw + xx) * 4 + ch];
        const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
        const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
        t[o + ch] = top + (bottom - top) * fy;
      }
    }
  }
  return t;
}

/**
 * MoveNet single-pose output ([1, 1, 17, 3]: y, x, score normalized to the
 * crop) to image pixels through the crop's box (default: moveNetCrop).
 * Returns {keypoints: [{name, x, y, score}] x 17, score}: the pose's score
 * is the mean of the keypoint scores over 0.2, as pose-detection's (which
 * drops a pose scoring under 0.25; that is left to the caller).
 */
export function decodeMoveNet(output, imageWidth, imageHeight, { box = moveNetCrop(imageWidth, imageHeight) } = {}) {
  check(output?.length === 51, `MoveNet output must have 51 values (17 x [y, x, score]), got ${output?.length}`);
  let total = 0;
  let counted = 0;
  const keypoints = POSE_KEYPOINTS.map((name, i) => {
    const score = output[3 * i + 2];
    if (score > 0.2) {
      total += score;
      counted++;
    }
    return {
      name,
      x: (box.xMin + output[3 * i + 1] * (box.xMax - box.xMin)) * imageWidth,
      y: (box.yMin + output[3 * i] * (box.yMax - box.yMin)) * imageHeight,
      score,
    };
  });
  return { keypoints, score: counted ? total / counted : 0 };
}

/**
 * PoseNet single-pose decoding (pose-detection's decodeSinglePose): for
 * each keypoint the heatmap's best cell, then that cell's offset vector
 * (the first 17 channels are y, the next 17 x) added to its position times
 * the output stride; the keypoint's score is the sigmoid of the heatmap
 * there, the pose's their mean. `heatmaps` is [H, W, 17], `offsets` [H, W,
 * 34], NHWC. Positions are in the model input's pixels, or in image pixels
 * when `region` (what the input was cropped from, e.g. wholeImage(w, h,
 * {keepAspect: true})) and the input and image sizes are given.
 */
export function decodePoseNet(heatmaps, offsets, { height, width, outputStride, region, inputWidth, inputHeight, imageWidth, imageHeight }) {
  const k = 17;
  check(heatmaps?.length === height * width * k, `PoseNet heatmaps must have ${height}x${width}x17 values, got ${heatmaps?.length}`);
  check(offsets?.length === height * width * 2 * k, `PoseNet offsets must have ${height}x${width}x34 values, got ${offsets?.length}`);
  check(!region || (inputWidth > 0 && inputHeight > 0 && imageWidth > 0 && imageHeight > 0), 'decodePoseNet with a region needs inputWidth, inputHeight, imageWidth and imageHeight');
  const keypoints = POSE_KEYPOINTS.map((name, j) => {
    let best = -Infinity;
    let cell = 0;
    for (let i = 0; i < height * width; i++) {
      if (heatmaps[i * k + j] > best) {
        best = heatmaps[i * k + j];
        cell = i;
      }
    }
    let x = (cell % width) * outputStride + offsets[cell * 2 * k + k + j];
    let y = Math.floor(cell / width) * outputStride + offsets[cell * 2 * k + j];
    if (region) {
      const p = fromRegion(region, x / inputWidth, y / inputHeight, imageWidth / imageHeight);
      x = p.x * imageWidth;
      y = p.y * imageHeight;
    }
    return { name, x, y, score: 1 / (1 + Math.exp(-best)) };
  });
  return { keypoints, score: keypoints.reduce((s, p) => s + p.score, 0) / k };
}

// The output of `model` (a loaded Kiln model: {inputs, outputs, run}) named
// `name`, else its only output with `size` values.
function outputOf(model, name, size) {
  const info = model.outputs.find((t) => t.name === name) ?? model.outputs.find((t) => t.shape.reduce((a, b) => a * b, 1) === size);
  check(info, `the model has no output '${name}' (its outputs: ${model.outputs.map((t) => t.name).join(', ')})`);
  return info.name;
}

// The trackers run their models with {views: true}: the outputs are views of
// the module's memory, decoded at once (before that model runs again), so a
// frame allocates no output arrays. (A model without run() options ignores it.)
const VIEWS = Object.freeze({ views: true });

/**
 * BlazeFace finds the face, FaceMesh follows it: `detector` and `mesh` are
 * loaded Kiln models (the TF.js face_detection short-range model, 128x128,
 * one [1, 896, 17] output, and FaceMesh, 192x192, `output_mesh` and
 * `output_faceflag`). `track(frame)` returns {landmarks: Float32Array(468 x
 * 3) in pixels, score, detected, region} or null when no face is found. The
 * detector runs only when no face is tracked: each frame's landmarks give
 * the next frame's region, until the face flag drops under `minPresence`
 * (the face is lost: detect again). Tensors are allocated once.
 *
 * `detectorTakesFrames`: the detector was compiled with kilnc's
 * `--input-image=input:rgba8 --normalize=-1,1 --fit=letterbox
 * --resize=asymmetric` and is given the frame itself. `asymmetric` samples
 * output pixel i at i / size, the MediaPipe rule of cropToTensor and TF.js's
 * packages (the first frame's landmarks within 1e-4 px of TF.js's); with
 * the default half-pixel centres they land 2.3 px away. Off by default.
 */
export class FaceTracker {
  constructor(detector, mesh, { config = BLAZEFACE_FRONT, minPresence = 0.5, iouThreshold = 0.3, weighted = false, detectorTakesFrames = false } = {}) {
    this.detector = detector;
    this.detectorTakesFrames = detectorTakesFrames;
    this.mesh = mesh;
    this.config = config;
    this.anchors = ssdAnchors(config);
    this.minPresence = minPresence;
    this.nms = { iouThreshold, weighted, maxResults: 1 };
    const side = (m) => m.inputs[0].shape[1];
    this.meshSize = side(mesh);
    this.detectorInput = new Float32Array(config.inputSize * config.inputSize * 3);
    this.meshInput = new Float32Array(this.meshSize * this.meshSize * 3);
    this.detectorOut = outputOf(detector, 'objects', this.anchors.length / 2 * 17);
    this.meshOut = outputOf(mesh, 'output_mesh', 1404);
    this.flagOut = outputOf(mesh, 'output_faceflag', 1);
    this.region = null;
  }

  /** Runs the detector on the whole frame; the best face in normalized image coordinates, or null. */
  detect(frame) {
    const { width, height } = frame;
    const size = this.config.inputSize;
    const whole = wholeImage(width, height, { keepAspect: true });
    let raw;
    if (this.detectorTakesFrames) {
      raw = this.detector.run({ image: frame }, VIEWS)[this.detectorOut];
    } else {
      cropToTensor(frame, whole, { width: size, height: size, range: [-1, 1], border: 'zero', out: this.detectorInput });
      raw = this.detector.run({ [this.detector.inputs[0].name]: this.detectorInput }, VIEWS)[this.detectorOut];
    }
    const dets = nonMaxSuppression(decodeBlazeFace(raw, this.config, { anchors: this.anchors }), this.nms);
    return dets.length ? projectDetections(dets, whole, width, height)[0] : null;
  }

  /** One frame ({data: RGBA, width, height}). */
  track(frame) {
    const { width, height } = frame;
    let detected = false;
    if (!this.region) {
      const face = this.detect(frame);
      if (!face) return null;
      this.region = faceRegionFromDetection(face, width, height);
      detected = true;
    }
    const region = this.region;
    cropToTensor(frame, region, { width: this.meshSize, height: this.meshSize, range: [0, 1], border: 'replicate', out: this.meshInput });
    const out = this.mesh.run({ [this.mesh.inputs[0].name]: this.meshInput }, VIEWS);
    const score = out[this.flagOut][0];
    if (score < this.minPresence) {
      this.region = null;
      // Lost while tracking: look for the face again in this frame.
      return detected ? null : this.track(frame);
    }
    const landmarks = decodeFaceMesh(out[this.meshOut], region, width, height, { inputSize: this.meshSize });
    this.region = faceRegionFromLandmarks(landmarks, width, height);
    return { landmarks, score, detected, region };
  }

  /** Forgets the tracked face: the next frame runs the detector. */
  reset() {
    this.region = null;
  }
}

/**
 * MoveNet's keypoint filter in pose-detection 2.1.3 (its
 * KEYPOINT_FILTER_CONFIG): a one-euro filter whose cut-off frequencies are
 * in hertz and whose thresholds are in coordinates normalized to the frame.
 * `frequency` is the rate assumed until two timestamps give the real one (it
 * changes no result: the first keypoints pass unchanged).
 */
export const MOVENET_SMOOTHING = Object.freeze({
  frequency: 30, minCutOff: 2.5, beta: 300, derivateCutOff: 2.5, thresholdCutOff: 0.5, thresholdBeta: 5,
});

/**
 * Smooths keypoints over time with a one-euro filter on each coordinate, the
 * rules of MediaPipe's landmark smoothing as pose-detection implements them
 * (value scaling off, as MoveNet uses it). The derivative is low-passed at
 * `derivateCutOff`; the value's cut-off is `minCutOff + beta * |derivative|`
 * (fast movement follows closely, a still pose is steadied), and with a
 * `thresholdCutOff` the step is compressed (asinh) beyond `thresholdCutOff +
 * thresholdBeta * |derivative|`. The rate comes from the timestamps
 * (milliseconds, truncated to whole microseconds as pose-detection does). A
 * timestamp not later than the last one (at first: not over 0) returns the
 * keypoints unfiltered and leaves the state alone; the first set after
 * `reset()` (or a set of another length) passes unchanged and starts the
 * filter. Scores, names and any other fields pass through.
 */
export class KeypointSmoother {
  constructor(config = MOVENET_SMOOTHING) {
    const keys = ['frequency', 'minCutOff', 'beta', 'derivateCutOff', ...(config?.thresholdCutOff == null ? [] : ['thresholdCutOff', 'thresholdBeta'])];
    for (const k of keys) check(Number.isFinite(config?.[k]), `smoothing config: ${k} must be a finite number, got ${config?.[k]}`);
    this.config = { ...config };
    this.reset();
  }

  /**
   * Returns new keypoints with x and y filtered. `width` and `height` are
   * what x and y are divided by while filtering, so that the thresholds are
   * in the frame's normalized units: pass the frame's size for keypoints in
   * pixels (1, the default, for normalized keypoints).
   */
  apply(keypoints, timestampMs, { width = 1, height = 1 } = {}) {
    check(Array.isArray(keypoints), 'keypoints must be an array');
    check(Number.isFinite(timestampMs), `timestamp must be a finite number of milliseconds, got ${timestampMs}`);
    const n = keypoints.length * 2;
    if (this.raw?.length !== n) {
      this.reset();
      this.raw = new Float64Array(n);
      this.value = new Float64Array(n);
      this.speed = new Float64Array(n);
    }
    const us = Math.trunc(timestampMs * 1000);
    if (this.lastUs >= us) return keypoints.map((k) => ({ ...k }));
    if (this.lastUs !== 0) this.frequency = 1 / ((us - this.lastUs) * 1e-6);
    this.lastUs = us;
    const c = this.config;
    const alpha = (cutOff) => 1 / (1 + this.frequency / (2 * Math.PI * cutOff));
    const step = (i, v) => {
      if (!this.started) {
        this.raw[i] = this.value[i] = v;
        this.speed[i] = 0;
        return v;
      }
      // The speed (units per second), low-passed, sets this step's cut-off.
      const s = this.speed[i] + alpha(c.derivateCutOff) * ((v - this.raw[i]) * this.frequency - this.speed[i]);
      const a = alpha(c.minCutOff + c.beta * Math.abs(s));
      const last = this.value[i];
      const t = c.thresholdCutOff == null ? null : c.thresholdCutOff + c.thresholdBeta * Math.abs(s);
      this.speed[i] = s;
      this.raw[i] = v;
      this.value[i] = t == null ? last + a * (v - last) : last + a * t * Math.asinh((v - last) / t);
      return this.value[i];
    };
    const out = keypoints.map((k, j) => ({ ...k, x: step(2 * j, k.x / width) * width, y: step(2 * j + 1, k.y / height) * height }));
    this.started = true;
    return out;
  }

  /** Forgets the history: the next keypoints pass unchanged and start the filter again. */
  reset() {
    this.frequency = this.config.frequency;
    this.lastUs = 0;
    this.started = false;
  }
}

/**
 * MoveNet (single pose, 192x192 for lightning) over video, as pose-detection
 * runs it: the first frame is cropped to the centred square; each pose then
 * gives the next frame's crop (moveNetNextCrop), each of its four edges
 * low-pass filtered (new = old + 0.9 (next - old)); a pose scoring under
 * `minPoseScore` is dropped and the next frame starts over (crop and
 * smoothing). `model` is a loaded Kiln MoveNet taking its int32 tensor.
 *
 * `track(frame, timestampMs)` returns {keypoints, score, box} (box: the crop
 * the pose came from) or null. With `smoothing` (on by default, as
 * pose-detection's `enableSmoothing`; `false`, or a config like
 * MOVENET_SMOOTHING) and a timestamp, the keypoints are smoothed over time
 * (KeypointSmoother) before they give the next crop; scores are the model's.
 * A frame given no timestamp is not smoothed and leaves the filter as it
 * was: pose-detection does the same for an image or a tensor (from a
 * <video> it reads `currentTime`: pass `video.currentTime * 1000` to match).
 */
export class PoseTracker {
  constructor(model, { minPoseScore = 0.25, smoothing = true } = {}) {
    this.model = model;
    this.minPoseScore = minPoseScore;
    const [, height, width] = model.inputs[0].shape;
    this.size = { width, height };
    this.input = new Int32Array(width * height * 3);
    this.output = outputOf(model, '', 51);
    this.smoother = smoothing ? new KeypointSmoother(smoothing === true ? MOVENET_SMOOTHING : smoothing) : null;
    this.reset();
  }

  /** One frame ({data: RGBA, width, height}) and its time in milliseconds (optional). */
  track(frame, timestampMs) {
    check(timestampMs == null || Number.isFinite(timestampMs), `timestamp must be a finite number of milliseconds, got ${timestampMs}`);
    const { width, height } = frame;
    const box = this.box ?? moveNetCrop(width, height);
    cropAndResize(frame, box, { ...this.size, out: this.input });
    const out = this.model.run({ [this.model.inputs[0].name]: this.input }, VIEWS)[this.output];
    const pose = decodeMoveNet(out, width, height, { box });
    if (pose.score < this.minPoseScore) {
      this.reset();
      return null;
    }
    if (this.smoother && timestampMs != null) pose.keypoints = this.smoother.apply(pose.keypoints, timestampMs, { width, height });
    const next = moveNetNextCrop(pose.keypoints, width, height);
    if (this.filtered) for (const k of ['yMin', 'xMin', 'yMax', 'xMax']) next[k] = box[k] + 0.9 * (next[k] - box[k]);
    this.box = next;
    this.filtered = true;
    return { ...pose, box };
  }

  /** Forgets the pose: the next frame is cropped as a first frame and starts the smoothing afresh. */
  reset() {
    this.box = null;
    this.filtered = false;
    this.smoother?.reset();
  }
}
