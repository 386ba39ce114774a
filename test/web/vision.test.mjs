// kiln-vision (targets/wasm/vision/kiln-vision.mjs) against TensorFlow.js's
// own model packages, in Node: the same frames (the demo photo on a 640x480
// frame, moved a few pixels, examples/web/face-mesh/frames.mjs) go through
// Kiln's WASM modules + kiln-vision and through @tensorflow-models/
// face-detection, face-landmarks-detection and pose-detection (tfjs cpu
// backend, their models read from the local model package by a tf.io
// handler). Within a pixel: the face box and keypoints; the 468 landmarks on
// the detected frame and on the tracked frames after it; MoveNet lightning's
// (by kiln-vision's crop and by kilnc's image adapter, --fit=crop
// --resize=tf_crop_and_resize; PoseTracker's over frames with timestamps,
// smoothed) and PoseNet's (by kiln-vision's crop and by the adapter,
// --fit=letterbox --pad=edge) 17 keypoints (scores within 5e-3). Also: the
// anchors, weighted NMS, the decoding rules, MoveNet's crops and keypoint
// smoothing against pose-detection's own functions, and bad input, on small
// made-up cases.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { depsDir, models, mulberry32, repoRoot } from '../e2e/common.mjs';
import { compileWasm, compiler, importLoader, jsAllocation, tempDir } from './common.mjs';
import { DEMO_PHOTO, SHIFTS, decodePng, makeFrame } from '../../examples/web/face-mesh/frames.mjs';

const vision = await import(pathToFileURL(path.join(repoRoot, 'targets/wasm/vision/kiln-vision.mjs')).href);
const human = path.join(depsDir, 'models/human-models/package/models');
const DETECTOR = path.join(human, 'facemesh-detection-short.json');
const MESH = path.join(human, 'facemesh.json');
const MOVENET = path.join(human, 'movenet-lightning.json');
const POSENET = path.join(human, 'posenet.json');
const PIXEL = 1; // the bar: within a pixel of TensorFlow.js's packages

const require = createRequire(path.join(depsDir, 'package.json'));
function loadPackages() {
  try {
    const tf = require('@tensorflow/tfjs-core');
    require('@tensorflow/tfjs-backend-cpu');
    return { tf, fd: require('@tensorflow-models/face-detection'), fld: require('@tensorflow-models/face-landmarks-detection'),
      pd: require('@tensorflow-models/pose-detection') };
  } catch (e) {
    return e.message.split('\n')[0];
  }
}
const pkgs = loadPackages();
const skip = typeof pkgs === 'string' ? `TensorFlow.js's model packages are missing (scripts/setup.sh): ${pkgs}`
  : ![DETECTOR, MESH, MOVENET, POSENET, DEMO_PHOTO, models.blazefaceFront].every((f) => fs.existsSync(f)) ? 'models or demo photo missing (scripts/setup.sh)' : false;

// A model file of the local package as a tf.io handler (what tf.loadGraphModel
// and the packages' modelUrl options accept), with `patch` applied to its JSON.
function graphModel(name, patch = (json) => json) {
  return {
    load: async () => {
      const json = patch(JSON.parse(fs.readFileSync(path.join(human, `${name}.json`), 'utf8')));
      const bin = fs.readFileSync(path.join(human, `${name}.bin`));
      return { modelTopology: json.modelTopology, format: json.format, signature: json.signature,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) };
    },
  };
}

function maxDistance(a, b) {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.hypot(a[i].x - b[i].x, a[i].y - b[i].y));
  return worst;
}

describe('kiln-vision against TensorFlow.js packages', { skip }, () => {
  let detector;
  let mesh;
  let frames;
  before(async () => {
    await pkgs.tf.setBackend('cpu');
    pkgs.tf.backend().firstUse = false;
    const load = async (model, name) => (await importLoader(compileWasm(model, name, { fallback: false }))).load();
    detector = await load(DETECTOR, 'vision_detector');
    mesh = await load(MESH, 'vision_facemesh');
    const photo = decodePng(DEMO_PHOTO);
    frames = SHIFTS.slice(0, 4).map((_, i) => makeFrame(photo, i));
  });
  after(() => {
    detector?.dispose();
    mesh?.dispose();
  });

  const toTensor = ({ data, width, height }) => {
    const rgb = new Int32Array(width * height * 3);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = data[4 * i + c];
    return pkgs.tf.tensor3d(rgb, [height, width, 3], 'int32');
  };

  // Runs face-detection and `ours(frame)` (a detection normalized to the
  // frame) on the first two frames: box and six keypoints within a pixel.
  // Returns the largest keypoint distance per frame.
  async function checkFaces(ours) {
    const theirs = await pkgs.fd.createDetector(pkgs.fd.SupportedModels.MediaPipeFaceDetector,
      { runtime: 'tfjs', modelType: 'short', maxFaces: 1, detectorModelUrl: graphModel('facemesh-detection-short') });
    const worst = [];
    for (const frame of frames.slice(0, 2)) {
      const image = toTensor(frame);
      const [ref] = await theirs.estimateFaces(image);
      image.dispose();
      const face = ours(frame);
      assert.ok(ref && face, 'a face was found by both');
      const { width: w, height: h } = frame;
      const px = (p) => ({ x: p.x * w, y: p.y * h });
      worst.push(maxDistance(face.keypoints.map(px), ref.keypoints));
      assert.ok(worst.at(-1) < PIXEL, `keypoints: ${JSON.stringify(face.keypoints.map(px))} vs ${JSON.stringify(ref.keypoints)}`);
      for (const [k, s] of [['xMin', w], ['xMax', w], ['yMin', h], ['yMax', h]])
        assert.ok(Math.abs(face.box[k] * s - ref.box[k]) < PIXEL, `box.${k}: ${face.box[k] * s} vs ${ref.box[k]}`);
    }
    theirs.dispose();
    return worst;
  }

  test('BlazeFace (short range, 128x128): box and six keypoints within a pixel of face-detection', async (t) => {
    const worst = await checkFaces((frame) => new vision.FaceTracker(detector, mesh).detect(frame));
    t.diagnostic(`largest keypoint distance per frame (px): ${worst.map((d) => d.toExponential(2)).join(', ')}`);
  });

  test('BlazeFace front (ONNX, two heads, scores apart): within a pixel of face-detection with plain NMS; weighted NMS measured', async (t) => {
    // The ONNX front model and TF.js's short-range model are the same network
    // (MediaPipe's face_detection_front): same boxes, same rules.
    const m = await (await importLoader(compileWasm(models.blazefaceFront, 'blazeface_front'))).load();
    const moved = [];
    const worst = await checkFaces((frame) => {
      const { width: w, height: h } = frame;
      const region = vision.wholeImage(w, h, { keepAspect: true });
      const out = m.run({ [m.inputs[0].name]: vision.cropToTensor(frame, region, { width: 128, height: 128, range: [-1, 1] }) });
      const head = (cells, values) => out[m.outputs.find((o) => o.shape[1] === cells && o.shape[2] === values).name];
      const dets = vision.decodeBlazeFace([head(512, 16), head(384, 16)], vision.BLAZEFACE_FRONT, { logits: [head(512, 1), head(384, 1)] });
      const [plain] = vision.projectDetections(vision.nonMaxSuppression(dets, { maxResults: 1 }), region, w, h);
      const [weighted] = vision.projectDetections(vision.nonMaxSuppression(dets, { maxResults: 1, weighted: true }), region, w, h);
      moved.push(Math.max(...['xMin', 'xMax', 'yMin', 'yMax'].map((k) => Math.abs(weighted.box[k] - plain.box[k]) * (k[0] === 'x' ? w : h))));
      return plain;
    });
    t.diagnostic(`largest keypoint distance per frame (px): ${worst.map((d) => d.toExponential(2)).join(', ')}; ` +
      `weighted NMS moved the box edges by up to ${moved.map((d) => d.toFixed(1)).join(', ')} px (the mean of the overlapping detections)`);
    for (const d of moved) assert.ok(d < 20, 'the weighted box is not the same face');
    m.dispose();
  });

  test('FaceMesh: 468 landmarks within a pixel of face-landmarks-detection, detected then tracked over 4 frames', async (t) => {
    const theirs = await pkgs.fld.createDetector(pkgs.fld.SupportedModels.MediaPipeFaceMesh, {
      runtime: 'tfjs', maxFaces: 1, refineLandmarks: false,
      detectorModelUrl: graphModel('facemesh-detection-short'), landmarkModelUrl: graphModel('facemesh'),
    });
    const tracker = new vision.FaceTracker(detector, mesh);
    const worst = [];
    for (const [i, frame] of frames.entries()) {
      const image = toTensor(frame);
      const [ref] = await theirs.estimateFaces(image);
      image.dispose();
      const ours = tracker.track(frame);
      assert.ok(ref && ours, `frame ${i}: a face was found by both`);
      assert.equal(ours.detected, i === 0, `frame ${i}: the detector runs on the first frame only`);
      assert.equal(ref.keypoints.length, 468);
      const pts = Array.from({ length: 468 }, (_, j) => ({ x: ours.landmarks[3 * j], y: ours.landmarks[3 * j + 1] }));
      worst.push(maxDistance(pts, ref.keypoints));
      assert.ok(worst[i] < PIXEL, `frame ${i}: a landmark is ${worst[i].toFixed(2)} px from TF.js's`);
    }
    t.diagnostic(`largest landmark distance per frame (px): ${worst.map((d) => d.toExponential(2)).join(', ')}`);
    theirs.dispose();
  });

  test('kilnc --input-image writes kiln-vision beside the model; its FaceTracker given frames (letterbox, -1..1, --resize=asymmetric) is within a pixel of TF.js', async (t) => {
    const out = tempDir('kiln-vision-adapter-');
    try {
      const r = spawnSync(compiler, [DETECTOR, '--target=wasm', '--no-fallback', '--name', 'det_frames', '-o', out,
        '--input-image=input:rgba8', '--normalize=-1,1', '--fit=letterbox', '--resize=asymmetric'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const det = await (await import(pathToFileURL(path.join(out, 'det_frames.mjs')).href)).load();
      // kilnc writes kiln-vision beside an image model's loader: use that copy.
      for (const f of ['kiln-vision.mjs', 'kiln-vision.d.ts'])
        assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(repoRoot, 'targets/wasm/vision', f))), `${f} beside the model differs from the source`);
      assert.ok(!fs.existsSync(path.join(compileWasm(MESH, 'vision_facemesh', { fallback: false }).dir, 'kiln-vision.mjs')), 'kiln-vision.mjs written without --input-image');
      const shipped = await import(pathToFileURL(path.join(out, 'kiln-vision.mjs')).href);
      const theirs = await pkgs.fld.createDetector(pkgs.fld.SupportedModels.MediaPipeFaceMesh, {
        runtime: 'tfjs', maxFaces: 1, refineLandmarks: false,
        detectorModelUrl: graphModel('facemesh-detection-short'), landmarkModelUrl: graphModel('facemesh'),
      });
      const frame = frames[0];
      const image = toTensor(frame);
      const [ref] = await theirs.estimateFaces(image);
      image.dispose();
      const distance = (detectorModel) => {
        const ours = new shipped.FaceTracker(detectorModel, mesh, { detectorTakesFrames: true }).track(frame);
        assert.ok(ours?.detected, 'the face was detected');
        const pts = Array.from({ length: 468 }, (_, j) => ({ x: ours.landmarks[3 * j], y: ours.landmarks[3 * j + 1] }));
        return maxDistance(pts, ref.keypoints);
      };
      const d = distance(det);
      // A run on a frame with {views: true}, as the trackers run it,
      // allocates nothing in JS: the loader takes {data, width, height} as it
      // is and copies its pixels through a view made once.
      const feeds = { image: frame };
      const options = { views: true };
      for (let i = 0; i < 30; i++) det.run(feeds, options); // past V8's first-time work (type feedback, tier-up)
      const js = await jsAllocation(() => det.run(feeds, options), 30);
      t.diagnostic(`a ${frame.width}x${frame.height} frame, {views: true}: JS ${js.bytes} B in the quietest ${js.calls} runs, ArrayBuffers ${js.arrayBuffers} B, ${js.gcs} collections`);
      assert.equal(js.gcs, 0, 'V8 collected garbage during the runs');
      assert.equal(js.arrayBuffers, 0, 'the runs created ArrayBuffers');
      assert.ok(js.bytes < 16 * js.calls, `the runs allocated ${js.bytes} B of JS objects in ${js.calls} runs`);
      // For the record, the default rule (--resize=half_pixel): output pixel i
      // at x0 + (i + 0.5) s - 0.5 is the asymmetric x0 + i s with the origin
      // moved by (s - 1) / 2 (s = region / 128), here in kiln-vision's crop
      // (compiling the detector again would cost CI 7 s; adapter.test.mjs
      // checks the module's half_pixel against tf.image.resizeBilinear).
      const halfPixel = {
        inputs: detector.inputs,
        outputs: detector.outputs,
        run: ({ image }) => {
          const r = vision.wholeImage(image.width, image.height, { keepAspect: true });
          const sx = (r.width * image.width) / 128;
          const sy = (r.height * image.height) / 128;
          const region = { ...r, xCenter: r.xCenter + (sx - 1) / 2 / image.width, yCenter: r.yCenter + (sy - 1) / 2 / image.height };
          return detector.run({ [detector.inputs[0].name]: vision.cropToTensor(image, region, { width: 128, height: 128, range: [-1, 1] }) });
        },
      };
      const dHalf = distance(halfPixel);
      t.diagnostic(`largest landmark distance, detector fed by the module (--resize=asymmetric): ${d.toExponential(2)} px; ` +
        `with half-pixel centres (the default rule): ${dHalf.toFixed(2)} px`);
      assert.ok(d < PIXEL, `${d} px`);
      theirs.dispose();
      det.dispose();
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  // Runs pose-detection (`theirs`, on a tensor) and Kiln + kiln-vision (`ours`,
  // on the RGBA frame) on each frame: the 17 keypoints must agree within a
  // pixel, the keypoint and pose scores within 5e-3.
  async function checkPoses(t, frameList, theirs, ours) {
    const diffs = [];
    for (const frame of frameList) {
      const image = toTensor(frame);
      const ref = await theirs(image);
      image.dispose();
      assert.ok(ref, 'pose-detection found a pose');
      const mine = ours(frame);
      assert.deepEqual(mine.keypoints.map((p) => p.name), ref.keypoints.map((p) => p.name));
      diffs.push({
        px: maxDistance(mine.keypoints, ref.keypoints),
        score: Math.max(Math.abs(mine.score - ref.score), ...mine.keypoints.map((p, i) => Math.abs(p.score - ref.keypoints[i].score))),
      });
    }
    t.diagnostic(`largest keypoint distance (px) / score difference per frame: ${diffs.map((d) => `${d.px.toExponential(2)} / ${d.score.toExponential(1)}`).join(', ')}`);
    for (const d of diffs) assert.ok(d.px < PIXEL && d.score < 5e-3, JSON.stringify(d));
  }

  test('MoveNet lightning: 17 keypoints within a pixel of pose-detection (its defaults, smoothing on): PoseTracker over 3 frames (the first square, then the padded frame: the photo shows no hips; the third smoothed on timestamps); the first frame also by the module\'s crop (--fit=crop --resize=tf_crop_and_resize)', async (t) => {
    // Compiled with the image adapter as the README's table says; the module
    // still takes a tensor, so one compile serves both crops.
    const dir = tempDir('kiln-vision-movenet-');
    try {
      const r = spawnSync(compiler, [MOVENET, '--target=wasm', '--no-fallback', '--name', 'vision_movenet', '-o', dir,
        '--input-image=input:0:rgba8', '--fit=crop', '--resize=tf_crop_and_resize'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const m = await (await import(pathToFileURL(path.join(dir, 'vision_movenet.mjs')).href)).load();
      // pose-detection's defaults: enableSmoothing is on.
      const theirs = await pkgs.pd.createDetector(pkgs.pd.SupportedModels.MoveNet,
        { modelType: pkgs.pd.movenet.modelType.SINGLEPOSE_LIGHTNING, modelUrl: graphModel('movenet-lightning') });
      // pose-detection's first frame crops the centred square, corners aligned
      // (tf.image.cropAndResize): on these 640x480 frames x 79.875 + i * 479.25 / 191.
      const tracker = new vision.PoseTracker(m);
      const unsmoothed = new vision.PoseTracker(m, { smoothing: false });
      const boxes = [];
      // pose-detection over three frames in turn, as on video: the first
      // cropped to the centred square, the next by the last pose (here the
      // padded frame: no hip scores over 0.2; the square around a torso, the
      // crop filter and the smoothing are checked in 'kiln-vision decoding
      // rules' below). The frames' times: the first starts the keypoint
      // filter (its keypoints pass unchanged), the second has none (a tensor
      // without a timestamp is not smoothed and leaves the filter alone), the
      // third comes 8 ms after the first: a short interval (the filter's rate
      // 125 Hz) smooths enough to lag the move by more than a pixel, so a
      // PoseTracker that did not smooth would fail. Three frames, not more:
      // each costs CI a TF.js run (about 1.5 s).
      const times = [1000, undefined, 1008];
      const refs = [];
      const raw = [];
      let i = 0; // checkPoses runs theirs, then ours, on each frame
      await checkPoses(t, frames.slice(0, 3), async (image) => {
        const [ref] = await theirs.estimatePoses(image, undefined, times[i]);
        refs.push(ref);
        return ref;
      }, (frame) => {
        const pose = tracker.track(frame, times[i++]);
        raw.push(unsmoothed.track(frame));
        boxes.push(pose.box);
        return pose;
      });
      t.diagnostic(`crops (x, y, normalised): ${boxes.map((b) => [b.xMin, b.xMax, b.yMin, b.yMax].map((v) => v.toFixed(3)).join(' ')).join('; ')}`);
      assert.notDeepEqual(boxes[1], boxes[0], 'the crop changed after the first frame');
      const lag = raw.map((p, j) => maxDistance(refs[j].keypoints, p.keypoints));
      t.diagnostic(`pose-detection's keypoints from kiln-vision's unsmoothed ones per frame (px): ${lag.map((d) => d.toFixed(2)).join(', ')}`);
      assert.ok(lag[2] > PIXEL, `smoothing moved the third frame's keypoints by ${lag[2]} px only: this check cannot tell smoothing from none`);
      // The first frame (tracked above by kiln-vision's crop) by the module's adapter.
      await checkPoses(t, frames.slice(0, 1), async () => refs[0], (frame) => {
        const out = m.run({ image: frame })[m.outputs[0].name];
        return vision.decodeMoveNet(out, frame.width, frame.height);
      });
      theirs.dispose();
      m.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PoseNet (MobileNetV1, 385x385, stride 16): single-pose keypoints within a pixel of pose-detection, its input letterboxed by kiln-vision\'s crop and by the module\'s (--fit=letterbox --pad=edge)', async (t) => {
    // Compiled with the image adapter as targets/wasm/README's table says
    // (pose-detection's PoseNet input: letterboxed, edge pixels replicated,
    // output pixel i at i / size of the region, -1..1); the module still
    // takes a tensor, so one compile serves both crops.
    const image = ['--input-image=image:0:rgba8', '--normalize=-1,1', '--fit=letterbox', '--resize=asymmetric', '--pad=edge'];
    const m = await (await importLoader(compileWasm(POSENET, 'vision_posenet', { fallback: false, image }))).load();
    const theirs = await pkgs.pd.createDetector(pkgs.pd.SupportedModels.PoseNet, {
      architecture: 'MobileNetV1', outputStride: 16, inputResolution: { width: 385, height: 385 }, multiplier: 1,
      // The package wants a model of any input size ([1, -1, -1, 3]); this one
      // declares its 385x385: the same graph and weights with the size let free.
      modelUrl: graphModel('posenet', (json) => {
        for (const node of json.modelTopology.node.filter((n) => n.op === 'Placeholder'))
          node.attr.shape.shape.dim.forEach((d, i) => { if (i === 1 || i === 2) d.size = '-1'; });
        return json;
      }),
    });
    // The package reads the outputs by position (offsets, heatmaps, displacements);
    // this converted model lists them in another order: ask for them by name.
    const model = theirs.posenetModel;
    const names = ['offset_2', 'heatmap_2', 'displacement_fwd_2', 'displacement_bwd_2'].map((n) => `MobilenetV1/${n}/BiasAdd`);
    model.predict = (x) => model.execute(x, names);
    const byName = (part) => m.outputs.find((o) => o.name.includes(part)).name;
    const decode = (out, frame, region) => vision.decodePoseNet(out[byName('heatmap')], out[byName('offset')], {
      height: 25, width: 25, outputStride: 16, region, inputWidth: 385, inputHeight: 385, imageWidth: frame.width, imageHeight: frame.height });
    // One frame (640x480): TF.js's cpu backend takes about 10 s for it on a busy machine.
    let ref;
    await checkPoses(t, frames.slice(0, 1), async (tensor) => {
      [ref] = await theirs.estimatePoses(tensor, { maxPoses: 1, flipHorizontal: false });
      return ref;
    }, (frame) => {
      const region = vision.wholeImage(frame.width, frame.height, { keepAspect: true });
      const input = vision.cropToTensor(frame, region, { width: 385, height: 385, range: [-1, 1], border: 'replicate' });
      return decode(m.run({ [m.inputs[0].name]: input }), frame, region);
    });
    // The same frame given to the module: its adapter letterboxes it.
    await checkPoses(t, frames.slice(0, 1), async () => ref, (frame) =>
      decode(m.run({ image: frame }), frame, vision.wholeImage(frame.width, frame.height, { keepAspect: true })));
    theirs.dispose();
    m.dispose();
  });
});

describe('kiln-vision decoding rules', () => {
  test('anchors: 896 for BlazeFace front (128) and back (256), MediaPipe\'s cell centres', () => {
    for (const config of [vision.BLAZEFACE_FRONT, vision.BLAZEFACE_BACK]) {
      const a = vision.ssdAnchors(config);
      assert.equal(a.length, 896 * 2);
      // 16x16 cells x 2 anchors, then 8x8 cells x 6.
      assert.deepEqual([a[0], a[1], a[2], a[3], a[4]], [1 / 32, 1 / 32, 1 / 32, 1 / 32, 3 / 32]);
      assert.deepEqual([a[1024], a[1025]], [1 / 16, 1 / 16]);
      assert.deepEqual([a[1790], a[1791]], [15 / 16, 15 / 16]);
    }
  });

  test('box decoding: offsets in input pixels from the anchor, sigmoid scores, threshold', () => {
    const config = vision.BLAZEFACE_FRONT;
    const raw = new Float32Array(896 * 17).fill(0);
    for (let i = 0; i < 896; i++) raw[i * 17] = -10;
    raw.set([2, 12.8, -6.4, 32, 64, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], 0);
    const [d, ...rest] = vision.decodeBlazeFace(raw, config);
    assert.equal(rest.length, 0);
    assert.ok(Math.abs(d.score - 1 / (1 + Math.exp(-2))) < 1e-6);
    const cx = 1 / 32 + 0.1;
    const cy = 1 / 32 - 0.05;
    assert.ok(Math.abs(d.box.xMin - (cx - 0.125)) < 1e-6 && Math.abs(d.box.yMax - (cy + 0.25)) < 1e-6);
    assert.ok(Math.abs(d.keypoints[1].x - (1 / 32 + 1 / 128)) < 1e-6);
    // The ONNX models' two outputs: 16 box values and a separate score.
    const boxes = new Float32Array(896 * 16);
    const logits = new Float32Array(896).fill(-10);
    logits[5] = 3;
    assert.equal(vision.decodeBlazeFace(boxes, config, { logits }).length, 1);
  });

  test('NMS: plain keeps the best box; weighted averages the overlapping ones by score', () => {
    const det = (score, x) => ({ score, box: { xMin: x, yMin: 0, xMax: x + 1, yMax: 1 }, keypoints: [{ x, y: 0 }] });
    const dets = [det(0.6, 0.2), det(0.9, 0), det(0.8, 5)];
    const plain = vision.nonMaxSuppression(dets);
    assert.deepEqual(plain.map((d) => d.score), [0.9, 0.8]);
    assert.equal(plain[0].box.xMin, 0);
    const weighted = vision.nonMaxSuppression(dets, { weighted: true, maxResults: 1 });
    assert.equal(weighted.length, 1);
    assert.ok(Math.abs(weighted[0].box.xMin - (0.6 * 0.2) / 1.5) < 1e-9);
    assert.ok(Math.abs(weighted[0].keypoints[0].x - (0.6 * 0.2) / 1.5) < 1e-9);
  });

  test('MoveNet: y, x, score in the centred square crop to image pixels; pose score over 0.2', () => {
    const out = new Float32Array(51);
    out.set([0.5, 0.25, 0.9], 0); // nose: y 0.5, x 0.25
    out.set([0.1, 0.1, 0.5], 3);
    const { keypoints: [nose], score } = vision.decodeMoveNet(out, 640, 480);
    // The crop is 480x480 from x = 80: x = 80 + 0.25 * 480, y = 0.5 * 480.
    assert.equal(nose.name, 'nose');
    assert.ok(Math.abs(nose.x - 200) < 1e-9 && Math.abs(nose.y - 240) < 1e-9, `${nose.x}, ${nose.y}`);
    assert.ok(Math.abs(nose.score - 0.9) < 1e-6 && Math.abs(score - 0.7) < 1e-6);
  });

  // pose-detection 2.1.3's own filter classes (dist/shared/filters), and
  // MoveNet's settings for its keypoint filter.
  const pdFilters = () => ({
    ...require('@tensorflow-models/pose-detection/dist/shared/filters/low_pass_filter'),
    ...require('@tensorflow-models/pose-detection/dist/shared/filters/keypoints_one_euro_filter'),
    KEYPOINT_FILTER_CONFIG: require('@tensorflow-models/pose-detection/dist/movenet/constants').KEYPOINT_FILTER_CONFIG,
  });

  // The demo photo shows no hips, so its crops are the first square and the
  // padded frame: the square that follows a torso, the crop filter and the
  // keypoint smoothing are checked here against pose-detection's own
  // functions (crop_utils' initCropRegion and determineNextCropRegion, its
  // LowPassFilter and KeypointsOneEuroFilter), composed as its
  // estimateSinglePose composes them, on made-up model outputs: once without
  // timestamps (nothing smoothed), once with them (irregular intervals, a
  // frame without one, a repeated one, a dropped pose that resets the filter).
  test('PoseTracker: crops that follow the pose, filtered, keypoints smoothed, as pose-detection\'s own crop and filter functions give them', { skip: typeof pkgs === 'string' && pkgs }, () => {
    const crop = require('@tensorflow-models/pose-detection/dist/movenet/crop_utils');
    const { LowPassFilter, KeypointsOneEuroFilter, KEYPOINT_FILTER_CONFIG } = pdFilters();
    const names = require('@tensorflow-models/pose-detection/dist/constants').COCO_KEYPOINTS;
    const byName = Object.fromEntries(names.map((n, i) => [n, i]));
    const size = { width: 64, height: 48 };
    const frame = { data: new Uint8ClampedArray(64 * 48 * 4), width: 64, height: 48 };
    const gen = mulberry32(7);
    const next = () => gen() / 2 ** 32;
    // Poses: a torso somewhere in the crop, or hidden hips, or too faint (score 0.1: the pose is dropped).
    const outputs = Array.from({ length: 12 }, (_, f) => {
      const out = new Float32Array(51);
      const [cy, cx, r] = [0.3 + 0.4 * next(), 0.3 + 0.4 * next(), 0.05 + 0.2 * next()];
      for (let k = 0; k < 17; k++) out.set([cy + r * (2 * next() - 1), cx + r * (2 * next() - 1), f === 7 ? 0.1 : 0.15 + 0.8 * next()], 3 * k);
      if (f === 4) out[3 * byName.left_hip + 2] = out[3 * byName.right_hip + 2] = 0.1;
      return out;
    });
    const run = (times) => {
      let at = 0;
      const model = { inputs: [{ name: 'input', shape: [1, 192, 192, 3] }], outputs: [{ name: 'out', shape: [1, 1, 17, 3] }], run: () => ({ out: outputs[at] }) };
      const tracker = new vision.PoseTracker(model);
      // pose-detection's sequence, its functions.
      let region = null;
      const filters = ['yMin', 'xMin', 'yMax', 'xMax'].map(() => new LowPassFilter(0.9));
      const smoother = new KeypointsOneEuroFilter(KEYPOINT_FILTER_CONFIG);
      let squares = 0;
      let smoothed = 0;
      for (at = 0; at < outputs.length; at++) {
        const used = region ?? crop.initCropRegion(true, size);
        let keypoints = names.map((name, k) => ({ name, y: used.yMin + outputs[at][3 * k] * used.height, x: used.xMin + outputs[at][3 * k + 1] * used.width, score: outputs[at][3 * k + 2] }));
        const valid = keypoints.filter((k) => k.score > 0.2);
        const score = valid.length ? valid.reduce((a, k) => a + k.score, 0) / valid.length : 0;
        const ours = tracker.track(frame, times[at]);
        if (score < 0.25) {
          assert.equal(ours, null, `frame ${at}: the faint pose is dropped`);
          region = null;
          filters.forEach((f) => f.reset());
          smoother.reset();
          continue;
        }
        for (const k of ['yMin', 'xMin', 'yMax', 'xMax']) assert.ok(Math.abs(ours.box[k] - used[k]) < 1e-12, `frame ${at}: crop ${k} ${ours.box[k]} vs ${used[k]}`);
        // Smoothed before the next crop is chosen (milliseconds to microseconds, as estimatePoses does).
        if (times[at] != null) {
          const before = keypoints;
          keypoints = smoother.apply(keypoints, times[at] * 1000, 1);
          // On this 64x48 frame a tenth of a pixel is 1e8 times the tolerance.
          if (maxDistance(keypoints.map((p) => ({ x: p.x * 64, y: p.y * 48 })), before.map((p) => ({ x: p.x * 64, y: p.y * 48 }))) > 0.1) smoothed++;
        }
        ours.keypoints.forEach((p, k) => assert.ok(Math.abs(p.x - keypoints[k].x * 64) < 1e-9 && Math.abs(p.y - keypoints[k].y * 48) < 1e-9, `frame ${at}: keypoint ${k}`));
        assert.deepEqual(ours.keypoints.map((p) => [p.name, p.score]), keypoints.map((p) => [p.name, p.score]), `frame ${at}: names and scores pass through`);
        assert.equal(ours.score, score);
        const n = crop.determineNextCropRegion(used, keypoints, byName, size);
        if (n.width < 1 && n.height < 1) squares++;
        const [yMin, xMin, yMax, xMax] = ['yMin', 'xMin', 'yMax', 'xMax'].map((k, i) => filters[i].apply(n[k]));
        region = { yMin, xMin, yMax, xMax, height: yMax - yMin, width: xMax - xMin };
      }
      assert.ok(squares >= 5, `${squares} crops were squares around the torso`);
      return smoothed;
    };
    assert.equal(run([]), 0);
    // Frame 3 has no time, frame 5 repeats frame 4's, frame 7's pose is dropped (the filter starts again at frame 8).
    const smoothed = run([1000, 1033.3, 1066.7, undefined, 1120, 1120, 1180, 1250, 1300, 1301.5, 1400, 2400]);
    // Smoothed: frames 1, 2, 4, 6, 9, 10, 11 (0 and 8 start the filter, 5 repeats a time).
    assert.ok(smoothed >= 6, `smoothing moved a keypoint by more than 0.1 px on ${smoothed} frames only`);
  });

  test('KeypointSmoother: pose-detection\'s own KeypointsOneEuroFilter on made-up keypoints (irregular intervals, repeats, time going back, a reset), within 1e-9 px', { skip: typeof pkgs === 'string' && pkgs }, (t) => {
    const { KeypointsOneEuroFilter, KEYPOINT_FILTER_CONFIG } = pdFilters();
    assert.deepEqual({ ...vision.MOVENET_SMOOTHING, disableValueScaling: true }, KEYPOINT_FILTER_CONFIG);
    const [W, H] = [640, 480];
    const gen = mulberry32(11);
    const next = () => gen() / 2 ** 32;
    // Milliseconds; null: reset. 0 passes unchanged (pose-detection's filter
    // takes a 0 time as "none yet"); a repeat and a step back pass unchanged.
    // Fractions of a microsecond are cut off (1016.6667 ms is 1016666 us).
    const times = [0, 1000, 1016.6667, 1050, 1052.25, 1052.25, 1040, 1100, 2100, 2133.3, null, 2200, 2208, 2241.3, 2274.6, 2600, 2601];
    const configs = [
      vision.MOVENET_SMOOTHING,
      // The threshold small enough that the asinh compresses most steps.
      { ...vision.MOVENET_SMOOTHING, thresholdCutOff: 0.002, thresholdBeta: 0.05 },
      // No threshold: the plain one-euro filter.
      { frequency: 25, minCutOff: 1, beta: 10, derivateCutOff: 1 },
    ];
    let worst = 0;
    for (const [c, config] of configs.entries()) {
      const theirs = new KeypointsOneEuroFilter({ ...config, disableValueScaling: true });
      const ours = new vision.KeypointSmoother(config);
      const inPixels = new vision.KeypointSmoother(config);
      let pose = vision.POSE_KEYPOINTS.map((name) => ({ name, x: next(), y: next(), score: next() }));
      let moved = 0;
      for (const ms of times) {
        if (ms === null) {
          theirs.reset();
          ours.reset();
          inPixels.reset();
          continue;
        }
        // A walk with the odd long jump.
        const step = next() < 0.2 ? 0.3 : 0.02;
        pose = pose.map((k) => ({ ...k, x: k.x + step * (2 * next() - 1), y: k.y + step * (2 * next() - 1), score: next() }));
        // Once, five keypoints: a set of another length starts the filter again.
        const set = ms === 2241.3 ? pose.slice(0, 5) : pose;
        const ref = theirs.apply(set, ms * 1000, 1);
        const got = ours.apply(set, ms);
        const px = inPixels.apply(set.map((k) => ({ ...k, x: k.x * W, y: k.y * H })), ms, { width: W, height: H });
        for (const [k, r] of ref.entries()) {
          worst = Math.max(worst, Math.abs(got[k].x - r.x) * W, Math.abs(got[k].y - r.y) * H, Math.abs(px[k].x - r.x * W), Math.abs(px[k].y - r.y * H));
          assert.deepEqual([got[k].name, got[k].score, px[k].score], [r.name, r.score, r.score]);
          moved = Math.max(moved, Math.hypot((r.x - set[k].x) * W, (r.y - set[k].y) * H));
        }
      }
      assert.ok(worst < 1e-9, `config ${c}: ${worst} px from pose-detection's filter`);
      assert.ok(moved > 10, `config ${c}: the filter moved a keypoint by ${moved} px at most: the check cannot tell it from none`);
    }
    t.diagnostic(`largest difference from pose-detection's filter: ${worst.toExponential(1)} px (640x480)`);
    assert.throws(() => new vision.KeypointSmoother().apply([], NaN), /timestamp must be a finite number of milliseconds, got NaN/);
    assert.throws(() => new vision.KeypointSmoother({ frequency: 30 }), /smoothing config: minCutOff must be a finite number/);
    assert.throws(() => new vision.PoseTracker({ inputs: [{ name: 'x', shape: [1, 192, 192, 3] }], outputs: [{ name: 'y', shape: [1, 1, 17, 3] }] },
      { smoothing: { ...vision.MOVENET_SMOOTHING, thresholdBeta: undefined } }), /smoothing config: thresholdBeta must be a finite number, got undefined/);
  });

  test('PoseNet: heatmap argmax plus its offset, times the output stride', () => {
    const h = 3;
    const w = 4;
    const heat = new Float32Array(h * w * 17).fill(-5);
    const off = new Float32Array(h * w * 34);
    heat[(2 * w + 1) * 17 + 3] = 4; // left_ear at cell (y 2, x 1)
    off[(2 * w + 1) * 34 + 3] = 1.5; // its y offset
    off[(2 * w + 1) * 34 + 17 + 3] = -2; // its x offset
    const pose = vision.decodePoseNet(heat, off, { height: h, width: w, outputStride: 16 });
    assert.deepEqual([pose.keypoints[3].x, pose.keypoints[3].y], [14, 33.5]);
  });

  test('bad input is a RangeError naming what is wrong', () => {
    assert.throws(() => vision.decodeBlazeFace(new Float32Array(10), vision.BLAZEFACE_FRONT), /BlazeFace output has 10 values, expected 15232/);
    assert.throws(() => vision.cropToTensor({ data: new Uint8Array(5), width: 2, height: 2 }, vision.wholeImage(2, 2), { width: 4, height: 4 }), /frame must be RGBA of 2x2 \(16 bytes\), got 5/);
    assert.throws(() => vision.decodeMoveNet(new Float32Array(3), 10, 10), /MoveNet output must have 51 values/);
    assert.throws(() => vision.ssdAnchors({ inputSize: 0, strides: [8] }), RangeError);
    const fake = (outputs) => ({ inputs: [{ name: 'x', shape: [1, 192, 192, 3] }], outputs, run: () => ({}) });
    assert.throws(() => new vision.FaceTracker(fake([{ name: 'scores', shape: [1, 5] }]), fake([])),
      /kiln-vision: the model has no output 'objects' \(its outputs: scores\)/);
  });
});
