// The face-mesh page: camera (or the demo photo) -> BlazeFace + FaceMesh,
// compiled by kilnc to WebAssembly (models/*.mjs, scripts/build_web_example.sh)
// -> kiln-vision's tracker -> the 468 points drawn over the frame, with the
// frame rate and the inference time. Runs under a strict
// Content-Security-Policy (no inline script, no eval: scripts/serve.sh).
//
// For tests: window.kilnLast is the last frame's result; kilnCapture() runs
// the detector again on the next frame and resolves with that frame's and
// the following frame's pixels and landmarks; kilnRedetect = true runs the
// detector on every frame; kilnMedians() gives the median inference times.

import * as detectorModel from './models/face_detector.mjs';
import * as meshModel from './models/face_mesh.mjs';
import { FaceTracker } from './kiln-vision.mjs';

const canvas = document.getElementById('view');
const ctx = canvas.getContext('2d', { willReadFrequently: true });
const status = document.getElementById('status');
const stats = document.getElementById('stats');

async function openCamera() {
  if (new URLSearchParams(location.search).has('photo') || !navigator.mediaDevices?.getUserMedia) return null;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    const video = document.getElementById('camera');
    video.srcObject = stream;
    await video.play();
    return video;
  } catch (e) {
    status.textContent = `no camera (${e.name}): showing the demo photo`;
    return null;
  }
}

// Draws the next frame into the canvas: the camera's, or the demo photo
// drifting a few pixels (so that tracking has something to follow).
function drawFrame(video, photo, n) {
  if (video) {
    if (canvas.width !== video.videoWidth || canvas.height !== video.videoHeight) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
    }
    ctx.drawImage(video, 0, 0);
  } else {
    ctx.fillStyle = '#808080';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const t = (n % 80) / 80;
    ctx.drawImage(photo, 64 + 16 * Math.sin(2 * Math.PI * t), -16 + 8 * Math.cos(2 * Math.PI * t));
  }
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

// The face's outline: MediaPipe's canonical mesh indices, forehead clockwise.
const FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176,
  149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109];

function drawMesh(points) {
  ctx.fillStyle = '#3df';
  for (let i = 0; i < points.length; i += 3) ctx.fillRect(points[i] - 1, points[i + 1] - 1, 2, 2);
  ctx.strokeStyle = '#3df';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (const i of FACE_OVAL) ctx.lineTo(points[3 * i], points[3 * i + 1]);
  ctx.closePath();
  ctx.stroke();
}

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function main() {
  const [detector, mesh] = await Promise.all([detectorModel.load(), meshModel.load()]);
  // The detector was compiled with the image adapter: it takes the frame.
  const tracker = new FaceTracker(detector, mesh, { detectorTakesFrames: true });
  const video = await openCamera();
  const photo = document.getElementById('demo');
  if (!video) await photo.decode();
  status.textContent = `${video ? 'camera' : 'demo photo'}; models on ${detector.backend.name} (${detector.backend.reason})`;

  let capture = null;
  window.kilnCapture = () => new Promise((resolve) => {
    capture = { resolve, frames: [] };
  });
  window.kilnFrames = 0;

  // The last 100 inference times of each kind, for the medians the test prints.
  const times = { detected: [], tracked: [] };
  window.kilnMedians = () => Object.fromEntries(Object.entries(times).map(([k, v]) => {
    const sorted = [...v].sort((a, b) => a - b);
    return [k, { median: sorted.length ? sorted[sorted.length >> 1] : null, count: sorted.length }];
  }));
  let last = performance.now();
  let fps = 0;
  let n = 0;
  const step = () => {
    const frame = drawFrame(video, photo, n++);
    if ((capture && capture.frames.length === 0) || window.kilnRedetect) tracker.reset();
    const t0 = performance.now();
    const face = tracker.track(frame);
    const ms = performance.now() - t0;
    if (face) {
      drawMesh(face.landmarks);
      const list = times[face.detected ? 'detected' : 'tracked'];
      list.push(ms);
      if (list.length > 100) list.shift();
    }
    const now = performance.now();
    fps = fps ? 0.9 * fps + 0.1 * (1000 / (now - last)) : 1000 / (now - last);
    last = now;
    stats.textContent = `${fps.toFixed(1)} frames/s · inference ${ms.toFixed(1)} ms · ${face ? (face.detected ? 'detected' : 'tracked') : 'no face'}`;
    const result = { frame: n, width: frame.width, height: frame.height, ms, detected: face?.detected ?? false,
      landmarks: face ? Array.from(face.landmarks) : null };
    window.kilnLast = result;
    window.kilnFrames = n;
    if (capture) {
      capture.frames.push({ ...result, rgba: toBase64(new Uint8Array(frame.data.buffer)) });
      if (capture.frames.length === 2) {
        capture.resolve(capture.frames);
        capture = null;
      }
    }
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

main().catch((e) => {
  status.textContent = `error: ${e.message}`;
  window.kilnError = e.message;
  throw e;
});
