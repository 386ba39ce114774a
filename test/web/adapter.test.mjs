// The input adapter (kilnc --target=wasm --input-image=NAME:rgba8, targets/wasm/ImageAdapter.h)
// in Node: RGBA frames of any size through m.run({image: frame}), against the
// same pre-processing done by TensorFlow.js's cpu backend (tf.image.resizeBilinear
// with half-pixel centres, or without them for --resize=asymmetric, tf.pad /
// tf.slice for letterbox / crop, tf.image.cropAndResize for
// --resize=tf_crop_and_resize, then the normalisation or tf.cast), on made-up frames
// and on the demo photo.
// In headless Chromium (under the test pages' strict CSP): an ImageData, and
// the same pixels as a VideoFrame, a canvas and an ImageBitmap, drawn
// through the loader's OffscreenCanvas.
//
// The models are one Neg each (out = -input), so the outputs are the
// adapter's tensor exactly; one real model (BlazeFace front) checks that
// run({image}) equals run({input: the oracle's tensor}) end to end.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { createRequire } from 'node:module';

import { decodePng, DEMO_PHOTO } from '../../examples/web/face-mesh/frames.mjs';
import { depsDir, loadTf, mulberry32 } from '../e2e/common.mjs';
import { chromiumSkip, openPage, serve } from './chromium.mjs';
import { modelSkip, setupSkip } from '../e2e/setup_skip.mjs';
import { compiler, loadCatchingExports, models, tempDir } from './common.mjs';

// Float inputs: the adapter computes source coordinates in float32, TF.js's
// cpu backend in float64; at 640 pixels a coordinate is off by up to about
// 1e-4 pixel, which on a sharp edge of random pixels is 0.02 of a grey
// level. The bar: 0.03 grey levels, times the normalisation's scale.
const GREY = 0.03;
const tolerance = (scale) => GREY * Math.max(...scale);
const UNIT = [1 / 255, 1 / 255, 1 / 255];

const work = tempDir('kiln-adapter-');

function kilnc(args) {
  const r = spawnSync(compiler, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

// A one-Neg model with input `image` of `dtype` and `shape`, compiled with
// the adapter's `flags`; returns its loader.
async function negModel(name, dtype, shape, flags, input = 'image', fallback = false) {
  const file = path.join(work, `${name}.onnxtext`);
  const dims = shape.join(',');
  fs.writeFileSync(file, `<ir_version: 8, opset_import: ["" : 17]>\ng (${dtype}[${dims}] ${input}) => (${dtype}[${dims}] y)\n{\n  y = Neg(${input})\n}\n`);
  const out = path.join(work, name);
  const r = kilnc([file, '--target=wasm', ...(fallback ? [] : ['--no-fallback']), '--name', name, '-o', out, `--input-image=${input}:rgba8`, ...flags]);
  assert.equal(r.status, 0, r.out);
  return import(pathToFileURL(path.join(out, `${name}.mjs`)).href);
}

function randomFrame(width, height, seed) {
  const next = mulberry32(seed);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = next() & 255;
  return { data, width, height };
}

const { tf } = await loadTf();

// The oracle: the frame's RGB as [1,h,w,3] float32, the region --fit picks
// (whole pixels in these tests), resized with half-pixel centres (or, with
// resize 'asymmetric', output pixel i at i * in / out: TF's halfPixelCenters
// false), normalised, in the model's layout. Returns a Float32Array (or
// Int32Array with `int`).
function oracle(frame, { w, h, fit = 'stretch', resize = 'half_pixel', scale = [1 / 255, 1 / 255, 1 / 255], bias = [0, 0, 0], nchw = false, int = false }) {
  return tf.tidy(() => {
    const rgba = tf.tensor4d(Float32Array.from(frame.data), [1, frame.height, frame.width, 4]);
    let rgb = tf.slice(rgba, [0, 0, 0, 0], [1, frame.height, frame.width, 3]);
    const aspect = w / h;
    if (fit === 'crop' || fit === 'letterbox') {
      const fw = frame.width;
      const fh = frame.height;
      const cw = fit === 'crop' ? Math.min(fw, fh * aspect) : Math.max(fw, fh * aspect);
      const ch = fit === 'crop' ? Math.min(fh, fw / aspect) : Math.max(fh, fw / aspect);
      const dx = (fw - cw) / 2;
      const dy = (fh - ch) / 2;
      assert.ok(Number.isInteger(dx) && Number.isInteger(dy), 'the test frames crop and pad whole pixels');
      if (fit === 'crop') rgb = tf.slice(rgb, [0, dy, dx, 0], [1, ch, cw, 3]);
      else rgb = tf.pad(rgb, [[0, 0], [-dy, -dy], [-dx, -dx], [0, 0]]);
    }
    let t = tf.image.resizeBilinear(rgb, [h, w], false, resize === 'half_pixel');
    if (int) t = tf.cast(t, 'int32');
    else t = tf.add(tf.mul(t, tf.tensor1d(scale)), tf.tensor1d(bias));
    if (nchw) t = tf.transpose(t, [0, 3, 1, 2]);
    return t.dataSync();
  });
}

function maxDiff(actual, expected) {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(-actual[i] - expected[i]));
  return worst;
}

test('stretch, NHWC float, -1..1: downscaled, upscaled and same-size frames match tf.image.resizeBilinear', async () => {
  const loader = await negModel('stretch', 'float', [1, 40, 56, 3], ['--normalize=-1,1']);
  const m = await loader.load();
  for (const [fw, fh, seed] of [[97, 61, 1], [30, 20, 2], [56, 40, 3], [1, 1, 4], [640, 480, 5]]) {
    const frame = randomFrame(fw, fh, seed);
    const { y } = m.run({ image: frame });
    const scale = [2 / 255, 2 / 255, 2 / 255];
    const d = maxDiff(y, oracle(frame, { w: 56, h: 40, scale, bias: [-1, -1, -1] }));
    assert.ok(d <= tolerance(scale), `${fw}x${fh}: max difference ${d} > ${tolerance(scale)}`);
  }
  m.dispose();
});

test('crop, NCHW float, ImageNet mean/std: the centred region of the model aspect', async () => {
  const loader = await negModel('crop', 'float', [1, 3, 40, 56], ['--normalize=imagenet', '--fit=crop']);
  const m = await loader.load();
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const scale = std.map((s) => 1 / (255 * s));
  const bias = mean.map((v, c) => -v / std[c]);
  // 112x100 keeps rows 10..89 (80 = 112 * 40 / 56); 84x40: columns 0..55 of the 28-wide bars.
  for (const [fw, fh, seed] of [[112, 100, 6], [84, 40, 7]]) {
    const frame = randomFrame(fw, fh, seed);
    const { y } = m.run({ image: frame });
    const d = maxDiff(y, oracle(frame, { w: 56, h: 40, fit: 'crop', scale, bias, nchw: true }));
    assert.ok(d <= tolerance(scale), `${fw}x${fh}: max difference ${d}`);
  }
  m.dispose();
});

test('letterbox, NHWC float, 0..1: black bars, then the frame', async () => {
  const loader = await negModel('letterbox', 'float', [1, 40, 56, 3], ['--fit=letterbox']);
  const m = await loader.load();
  // 112x60 is padded to 112x80 (10 rows above and below); 20x40 to 56x40.
  for (const [fw, fh, seed] of [[112, 60, 8], [20, 40, 9]]) {
    const frame = randomFrame(fw, fh, seed);
    const { y } = m.run({ image: frame });
    const d = maxDiff(y, oracle(frame, { w: 56, h: 40, fit: 'letterbox' }));
    assert.ok(d <= tolerance(UNIT), `${fw}x${fh}: max difference ${d}`);
  }
  m.dispose();
});

test('the demo photo (decoded PNG), ImageData-like and as the input by name', async () => {
  const loader = await negModel('photo', 'float', [1, 192, 192, 3], ['--fit=crop'], 'frame');
  const { m, exports } = await loadCatchingExports(loader);
  const photo = decodePng(DEMO_PHOTO);
  const expected = oracle(photo, { w: 192, h: 192, fit: photo.width === photo.height ? 'stretch' : 'crop' });
  const { y } = m.run({ image: photo });
  assert.ok(maxDiff(y, expected) <= tolerance(UNIT));
  // The same frame under the input's own name; a Uint8Array works too.
  const byName = m.run({ frame: { data: new Uint8Array(photo.data.buffer), width: photo.width, height: photo.height } }).y;
  assert.deepEqual(byName, y);
  assert.throws(() => m.run({ image: photo, frame: photo }), { name: 'TypeError', message: /give input 'frame' once/ });
  assert.deepEqual(m.run({ image: photo }).y, y);
  // Memory: the frame's scratch is allocated once; runs leave it as it is.
  const memory = m.memoryBytes;
  const heap = exports.kiln_heap_in_use();
  for (let i = 0; i < 20; i++) m.run({ image: photo });
  assert.equal(m.memoryBytes, memory);
  assert.equal(exports.kiln_heap_in_use(), heap);
  // A tensor still goes in as before.
  const tensor = new Float32Array(192 * 192 * 3).fill(0.5);
  assert.ok(m.run({ frame: tensor }).y.every((v) => v === -0.5));
  m.dispose();
});

test('the SIMD, fallback and threaded modules carry the same adapter; --resize=asymmetric matches TF.js without half-pixel centres', async () => {
  const loader = await negModel('modules', 'float', [1, 40, 56, 3], ['--threads', '--fit=crop', '--normalize=-1,1', '--resize=asymmetric'], 'image', true);
  // 112x100 keeps rows 10..89: whole pixels, as the oracle needs.
  const frame = randomFrame(112, 100, 12);
  const outputs = [];
  for (const options of [{ threads: 1 }, { simd: false }, { threads: 2 }]) {
    const m = await loader.load(undefined, options);
    outputs.push([m.backend.name, m.run({ image: frame }).y]);
    m.dispose();
  }
  assert.deepEqual(outputs.map(([name]) => name), ['simd', 'nosimd', 'threads']);
  for (const [name, y] of outputs.slice(1)) assert.deepEqual(y, outputs[0][1], `${name} differs from simd`);
  const scale = [2 / 255, 2 / 255, 2 / 255];
  const d = maxDiff(outputs[0][1], oracle(frame, { w: 56, h: 40, fit: 'crop', resize: 'asymmetric', scale, bias: [-1, -1, -1] }));
  assert.ok(d <= tolerance(scale), `asymmetric: max difference ${d}`);
  // The rule is really another: half-pixel centres differ by grey levels.
  const half = maxDiff(outputs[0][1], oracle(frame, { w: 56, h: 40, fit: 'crop', scale, bias: [-1, -1, -1] }));
  assert.ok(half > 10 * tolerance(scale), `asymmetric is within ${half} of half-pixel centres`);
});

// MoveNet's input: int32 through tf.image.cropAndResize (pose-detection's
// crop; letterboxed here, so that samples fall outside the frame too).
test('int32 input, --resize=tf_crop_and_resize (as MoveNet): tf.image.cropAndResize then tf.cast, to the bit; zero outside the frame', async () => {
  const loader = await negModel('int', 'int32', [1, 40, 56, 3], ['--fit=letterbox', '--resize=tf_crop_and_resize']);
  const m = await loader.load();
  // Bars above and below, at the sides, fractional pads, upscaled, 1x1.
  for (const [fw, fh, seed] of [[640, 480, 21], [40, 61, 22], [97, 61, 10], [30, 20, 24], [1, 1, 25]]) {
    const frame = randomFrame(fw, fh, seed);
    const expected = tf.tidy(() => {
      const rgba = tf.tensor4d(Float32Array.from(frame.data), [1, fh, fw, 4]);
      const rgb = tf.slice(rgba, [0, 0, 0, 0], [1, fh, fw, 3]);
      const cw = Math.max(fw, (fh * 56) / 40);
      const ch = Math.max(fh, (fw * 40) / 56);
      const x0 = (fw - cw) / 2 / fw;
      const y0 = (fh - ch) / 2 / fh;
      const box = tf.tensor2d([[y0, x0, y0 + ch / fh, x0 + cw / fw]]);
      return tf.cast(tf.image.cropAndResize(rgb, box, [0], [40, 56], 'bilinear', 0), 'int32').dataSync();
    });
    const { y } = m.run({ image: frame });
    // The module computes as TF.js's kernel does (float64): no element off by one.
    const off = y.findIndex((v, i) => -v !== expected[i]);
    assert.equal(off, -1, `${fw}x${fh}: element ${off}: ${-y[off]} vs ${expected[off]}`);
  }
  m.dispose();
});

// PoseNet's input as pose-detection 2.1.3 makes it (its PosenetDetector:
// convertImageToTensor with keepAspectRatio and borderMode 'replicate', i.e.
// tf.image.transform with output pixel i at x0 + i * region / size, bilinear,
// fillMode 'nearest', then shiftImageValue to [-1, 1]), run here as the
// oracle from the package itself.
function poseDetectionCalculators() {
  try {
    const require = createRequire(path.join(depsDir, 'package.json'));
    const dir = '@tensorflow-models/pose-detection/dist/shared/calculators';
    return { convert: require(`${dir}/convert_image_to_tensor`), shift: require(`${dir}/shift_image_value`) };
  } catch (e) {
    return e.message.split('\n')[0];
  }
}
const pd = poseDetectionCalculators();
const pdSkip = setupSkip(typeof pd === 'string' && `@tensorflow-models/pose-detection is missing (scripts/setup.sh): ${pd}`);

// One compile (about 1.3 s of CPU): --pad=zero is the letterbox test's
// black bars above.
test('letterbox --resize=asymmetric -1..1 --pad=edge (PoseNet): pose-detection\'s own preprocessing, borderMode replicate', { skip: pdSkip }, async (t) => {
  const edge = await (await negModel('edge', 'float', [1, 40, 56, 3], ['--fit=letterbox', '--resize=asymmetric', '--normalize=-1,1', '--pad=edge'])).load();
  const scale = [2 / 255, 2 / 255, 2 / 255];
  // Bars at the sides (640x480, 40x61) and above and below (97x61, 30x20),
  // fractional pads, downscaled and upscaled, 1x1.
  for (const [fw, fh, seed] of [[640, 480, 31], [40, 61, 32], [97, 61, 33], [30, 20, 34], [1, 1, 35]]) {
    const frame = randomFrame(fw, fh, seed);
    const theirs = (borderMode) => tf.tidy(() => {
      const rgb = tf.tensor3d(Int32Array.from({ length: fw * fh * 3 }, (_, i) => frame.data[4 * Math.floor(i / 3) + (i % 3)]), [fh, fw, 3], 'int32');
      const { imageTensor } = pd.convert.convertImageToTensor(rgb, { outputTensorSize: { width: 56, height: 40 }, keepAspectRatio: true, borderMode });
      return pd.shift.shiftImageValue(imageTensor, [-1, 1]).dataSync();
    });
    const replicated = theirs('replicate');
    const black = theirs('zero');
    const d = maxDiff(edge.run({ image: frame }).y, replicated);
    t.diagnostic(`${fw}x${fh}: max difference ${d.toExponential(2)}`);
    assert.ok(d <= tolerance(scale), `${fw}x${fh}: max difference ${d} > ${tolerance(scale)}`);
    // Black bars (pose-detection's borderMode zero) really differ, so the
    // check above can fail.
    const apart = maxDiff(black.map((v) => -v), replicated);
    assert.ok(apart > 100 * tolerance(scale), `${fw}x${fh}: replicated and black bars within ${apart}`);
  }
  edge.dispose();
  // The loader and its types state the bars (zero: the letterbox test's module).
  const text = (name, ext) => fs.readFileSync(path.join(work, name, `${name}.${ext}`), 'utf8');
  assert.ok(text('edge', 'mjs').includes('"pad":"edge"') && text('letterbox', 'mjs').includes('"pad":"zero"'));
  assert.match(text('edge', 'd.ts'), /resized \(letterbox, edge, asymmetric\)/);
});

// Reads the loaders the 'stretch' and 'modules' tests above compiled.
test('a loader carries the threads code only with --threads, the frame code only with --input-image', async () => {
  const file = path.join(work, 'plain.onnxtext');
  fs.writeFileSync(file, '<ir_version: 8, opset_import: ["" : 17]>\ng (float[1,4] x) => (float[1,4] y)\n{\n  y = Neg(x)\n}\n');
  const plainDir = path.join(work, 'plain');
  const r = kilnc([file, '--target=wasm', '--no-fallback', '--name', 'plain', '-o', plainDir]);
  assert.equal(r.status, 0, r.out);
  const plain = fs.readFileSync(path.join(plainDir, 'plain.mjs'), 'utf8');
  const image = fs.readFileSync(path.join(work, 'stretch/stretch.mjs'), 'utf8');
  const both = fs.readFileSync(path.join(work, 'modules/modules.mjs'), 'utf8');
  for (const text of [plain, image, both]) assert.ok(!/KILN_(IF|END)_/.test(text), 'a section marker was left in');
  assert.ok(!/startWorkers|framePixels/.test(plain));
  assert.ok(/framePixels/.test(image) && !/startWorkers/.test(image));
  assert.ok(/framePixels/.test(both) && /startWorkers/.test(both));
  // The description states the sampling rule (--resize).
  assert.ok(image.includes('"resize":"half_pixel"') && both.includes('"resize":"asymmetric"'));
  // --pad is a letterbox's: a stretch or crop states none.
  assert.ok(!image.includes('"pad"') && !both.includes('"pad"'));
  // The plain loader still runs.
  const m = await (await import(pathToFileURL(path.join(plainDir, 'plain.mjs')).href)).load();
  assert.deepEqual([...m.run({ x: new Float32Array([1, 2, 3, 4]) }).y], [-1, -2, -3, -4]);
  assert.equal(m.backend.name, 'simd');
  m.dispose();
});

test('bad frames are TypeErrors and RangeErrors naming what is wrong', async () => {
  const loader = await negModel('errors', 'float', [1, 8, 8, 3], []);
  const m = await loader.load();
  const frame = (w, h) => ({ data: new Uint8ClampedArray(w * h * 4), width: w, height: h });
  assert.throws(() => m.run({ image: frame(4097, 2) }), { name: 'RangeError', message: /errors: image is 4097x2; frames of 1x1 to 4096x4096 are accepted/ });
  assert.throws(() => m.run({ image: frame(0, 5) }), { name: 'RangeError', message: /image is 0x5/ });
  assert.throws(() => m.run({ image: { data: new Uint8ClampedArray(10), width: 2, height: 2 } }), { name: 'RangeError', message: /image.data has 10 bytes, expected 16 \(2x2 RGBA\)/ });
  assert.throws(() => m.run({ image: { data: new Float32Array(16), width: 2, height: 2 } }), { name: 'TypeError', message: /image.data must be a Uint8ClampedArray or Uint8Array of RGBA pixels, got Float32Array/ });
  assert.throws(() => m.run({ image: { data: new Uint8Array(16), width: 2.5, height: 2 } }), { name: 'TypeError', message: /whole-number width and height/ });
  assert.throws(() => m.run({ image: 'photo.png' }), { name: 'TypeError', message: /image must be an ImageData, a VideoFrame/ });
  assert.throws(() => m.run({ image: { width: 2, height: 2 } }), { name: 'TypeError', message: /needs OffscreenCanvas; pass \{data, width, height\}/ });
  // After all that, a good frame still runs.
  assert.equal(m.run({ image: frame(3, 3) }).y.length, 8 * 8 * 3);
  m.dispose();
});

test('kilnc refuses bad adapter options with a clear message', () => {
  const file = path.join(work, 'opts.onnxtext');
  fs.writeFileSync(file, '<ir_version: 8, opset_import: ["" : 17]>\ng (float[1,4] image) => (float[1,4] y)\n{\n  y = Neg(image)\n}\n');
  const out = path.join(work, 'opts');
  const cases = [
    [['--input-image=image'], /--input-image: expected NAME:rgba8/],
    [['--input-image=image:rgb8'], /unknown pixel format 'rgb8'/],
    [['--input-image=image:rgba8', '--normalize=0,2'], /--normalize: unknown '0,2' \(expected 0,1 \| -1,1/],
    [['--input-image=image:rgba8', '--normalize=mean:0.5,0.5,0.5/std:1,0,1'], /every std must be positive/],
    [['--input-image=image:rgba8', '--fit=cover'], /--fit: unknown 'cover' \(expected stretch, crop or letterbox\)/],
    [['--input-image=image:rgba8', '--resize=nearest'], /--resize: unknown 'nearest'/],
    [['--fit=crop'], /configure --input-image=NAME:rgba8; give it too/],
    [['--input-image=nope:rgba8'], /the model has no input 'nope' \(its inputs are 'image'\)/],
    [['--input-image=image:rgba8'], /input 'image' has shape 1x4; an image input is 1xHxWx3 \(NHWC\) or 1x3xHxW \(NCHW\)/],
  ];
  for (const [flags, message] of cases) {
    const r = kilnc([file, '--target=wasm', '--no-fallback', '-o', out, ...flags]);
    assert.notEqual(r.status, 0, flags.join(' '));
    assert.match(r.out, message);
  }
  const cpu = kilnc([file, '--target=cpu', '-o', out, '--input-image=image:rgba8']);
  assert.match(cpu.out, /apply to --target=wasm only/);
});

const front = models.blazefaceFront;
test('BlazeFace front end to end: run({image}) equals run({input: the oracle tensor})', { skip: modelSkip(front) }, async () => {
  const out = path.join(work, 'front');
  const r = kilnc([front, '--target=wasm', '--no-fallback', '--name', 'front', '-o', out, '--input-image=input:0:rgba8', '--normalize=-1,1', '--fit=crop']);
  assert.equal(r.status, 0, r.out);
  const loader = await import(pathToFileURL(path.join(out, 'front.mjs')).href);
  const m = await loader.load();
  const photo = decodePng(DEMO_PHOTO);
  const tensor = oracle(photo, { w: 128, h: 128, fit: photo.width === photo.height ? 'stretch' : 'crop', scale: [2 / 255, 2 / 255, 2 / 255], bias: [-1, -1, -1] });
  const viaImage = m.run({ image: photo });
  const viaTensor = m.run({ 'input:0': tensor });
  for (const name of Object.keys(viaTensor)) {
    const a = viaImage[name];
    const b = viaTensor[name];
    let range = 0;
    let worst = 0;
    for (let i = 0; i < b.length; i++) {
      range = Math.max(range, Math.abs(b[i]));
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    assert.ok(worst <= 1e-4 * Math.max(range, 1), `${name}: ${worst} (range ${range})`);
  }
  m.dispose();
});

describe('Chromium', { skip: chromiumSkip() }, () => {
  let server, origin, browser, dir;
  // Opaque pixels: a canvas stores premultiplied alpha, so RGB under alpha < 255
  // would not come back exactly from a drawn frame.
  const frame = randomFrame(97, 61, 11);
  for (let i = 3; i < frame.data.length; i += 4) frame.data[i] = 255;

  before(async () => {
    await negModel('page', 'float', [1, 40, 56, 3], ['--normalize=-1,1']);
    dir = path.join(work, 'page');
    ({ server, origin } = await serve({ m: { page: dir } }));
    browser = await openPage(`${origin}/`);
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  test('an ImageData matches TF.js; a VideoFrame, a canvas and an ImageBitmap of the same pixels give the same tensor', async () => {
    const result = await browser.page.evaluate(async ([pixels, width, height]) => {
      const model = await import('/m/page/page.mjs');
      const m = await model.load();
      const data = new Uint8ClampedArray(pixels);
      const image = new ImageData(data, width, height);
      const canvas = new OffscreenCanvas(width, height);
      canvas.getContext('2d').putImageData(image, 0, 0);
      const bitmap = await createImageBitmap(image);
      const video = new VideoFrame(data, { format: 'RGBA', codedWidth: width, codedHeight: height, timestamp: 0 });
      const out = {};
      for (const [name, frame] of [['imageData', image], ['videoFrame', video], ['canvas', canvas], ['bitmap', bitmap]]) out[name] = Array.from(m.run({ image: frame }).y);
      const memory = m.memoryBytes;
      for (let i = 0; i < 20; i++) m.run({ image: video });
      out.memoryKept = m.memoryBytes === memory;
      video.close();
      m.dispose();
      return out;
    }, [Array.from(frame.data), frame.width, frame.height]);
    const scale = [2 / 255, 2 / 255, 2 / 255];
    const expected = oracle(frame, { w: 56, h: 40, scale, bias: [-1, -1, -1] });
    const d = maxDiff(result.imageData, expected);
    assert.ok(d <= tolerance(scale), `ImageData: max difference ${d}`);
    for (const kind of ['videoFrame', 'canvas', 'bitmap']) {
      const dk = maxDiff(result[kind], result.imageData.map((v) => -v));
      assert.ok(dk <= tolerance(scale), `${kind}: max difference ${dk} from the ImageData's tensor`);
    }
    assert.ok(result.memoryKept, 'the memory grew over 20 runs of the same VideoFrame');
    assert.deepEqual(browser.errors, []);
  });
});
