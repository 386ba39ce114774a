// The face-mesh page's stand-in camera: the demo photo (.deps/demo/astronaut.png,
// public domain) on a 640x480 grey frame, moved a few pixels each frame, as
// RGBA frames (for the Node tests) or a .y4m video (what Chromium's fake
// camera plays: --use-file-for-fake-video-capture). Made here, not downloaded.
//
//   node examples/web/face-mesh/frames.mjs OUT.y4m   writes the video
//
// PNG decoding is the few lines an 8-bit RGB/RGBA non-interlaced PNG needs
// (zlib and the five row filters).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEMO_PHOTO = path.resolve(here, '../../../.deps/demo/astronaut.png');
export const WIDTH = 640;
export const HEIGHT = 480;
// The photo's top-left corner in each frame: a slow drift right and down, then back.
export const SHIFTS = [[64, -16], [68, -14], [72, -12], [76, -10], [80, -8], [76, -10], [72, -12], [68, -14]];

/** Decodes a PNG file to {width, height, data: RGBA Uint8ClampedArray}. */
export function decodePng(file) {
  const buf = fs.readFileSync(file);
  if (buf.subarray(0, 8).toString('latin1') !== '\x89PNG\r\n\x1a\n') throw new Error(`${file}: not a PNG file`);
  let pos = 8;
  let header;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], color: body[9], interlace: body[12] };
    else if (kind === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const channels = { 2: 3, 6: 4 }[header?.color];
  if (!header || header.depth !== 8 || !channels || header.interlace) throw new Error(`${file}: only 8-bit RGB/RGBA non-interlaced PNGs are supported`);
  const { width, height } = header;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rows.subarray(y * stride, (y + 1) * stride);
    const up = y ? rows.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels] : 0;
      const b = up[i];
      const c = i >= channels ? up[i - channels] : 0;
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[i] = (src[i] + p) & 255;
    }
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    data[4 * i] = rows[j];
    data[4 * i + 1] = rows[j + 1];
    data[4 * i + 2] = rows[j + 2];
    data[4 * i + 3] = channels === 4 ? rows[j + 3] : 255;
  }
  return { width, height, data };
}

/** Frame `i` (RGBA, WIDTH x HEIGHT): the photo at SHIFTS[i] on grey. */
export function makeFrame(photo, i) {
  const [dx, dy] = SHIFTS[i % SHIFTS.length];
  const data = new Uint8ClampedArray(WIDTH * HEIGHT * 4).fill(128);
  for (let y = 0; y < HEIGHT; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= photo.height) continue;
    for (let x = 0; x < WIDTH; x++) {
      const sx = x - dx;
      if (sx < 0 || sx >= photo.width) continue;
      data.set(photo.data.subarray((sy * photo.width + sx) * 4, (sy * photo.width + sx) * 4 + 4), (y * WIDTH + x) * 4);
    }
  }
  return { width: WIDTH, height: HEIGHT, data };
}

/** The frames as a .y4m video (4:2:0, BT.601 limited range, 10 frames per second). */
export function writeY4m(file, frames) {
  const w = WIDTH;
  const h = HEIGHT;
  const parts = [Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`, 'latin1')];
  for (const f of frames) {
    const y = Buffer.alloc(w * h);
    const u = Buffer.alloc((w / 2) * (h / 2));
    const v = Buffer.alloc((w / 2) * (h / 2));
    const px = (i) => [f.data[4 * i], f.data[4 * i + 1], f.data[4 * i + 2]];
    for (let i = 0; i < w * h; i++) {
      const [r, g, b] = px(i);
      y[i] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
    for (let cy = 0; cy < h / 2; cy++)
      for (let cx = 0; cx < w / 2; cx++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (const [ox, oy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          const [pr, pg, pb] = px((2 * cy + oy) * w + 2 * cx + ox);
          r += pr / 4;
          g += pg / 4;
          b += pb / 4;
        }
        u[cy * (w / 2) + cx] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
        v[cy * (w / 2) + cx] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
      }
    parts.push(Buffer.from('FRAME\n', 'latin1'), y, u, v);
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node frames.mjs OUT.y4m');
    process.exit(2);
  }
  if (!fs.existsSync(DEMO_PHOTO)) {
    console.error(`frames.mjs: error: ${DEMO_PHOTO} is missing (run scripts/setup.sh)`);
    process.exit(2);
  }
  const photo = decodePng(DEMO_PHOTO);
  writeY4m(out, SHIFTS.map((_, i) => makeFrame(photo, i)));
  console.log(`${out}: ${SHIFTS.length} frames of ${WIDTH}x${HEIGHT}`);
}
