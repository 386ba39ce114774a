#!/usr/bin/env bash
# Builds the face-mesh page (examples/web/face-mesh) into $KILN_BUILD_DIR/web/face-mesh
# (default build/web/face-mesh): compiles BlazeFace (TF.js face_detection short
# range, 128x128) and FaceMesh (192x192) with kilnc --target=wasm (SIMD module,
# weights in NAME.weights.bin), copies the page, kiln-vision.mjs and the demo
# photo, makes the fake camera's video (demo.y4m, from the photo), and prints
# the page's code size (both .wasm, loaders, decoders, page; weights apart).
# Needs kilnc built (scripts/build.sh) and scripts/setup.sh's models.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
kilnc=$build/bin/kilnc
out=$build/web/face-mesh
models=$root/.deps/models/human-models/package/models
photo=$root/.deps/demo/astronaut.png
page=$root/examples/web/face-mesh

for f in "$kilnc" "$models/facemesh-detection-short.json" "$models/facemesh.json" "$photo"; do
  [ -e "$f" ] || { echo "build_web_example.sh: error: $f is missing (scripts/setup.sh, scripts/build.sh)" >&2; exit 2; }
done
rm -rf "$out" && mkdir -p "$out/models"
flags=(--target=wasm --no-fallback --weights=external -o "$out/models")
# The detector takes the frame itself: kilnc's image adapter with the rule of
# TF.js's face-detection (letterboxed, pixel i at i / size; targets/wasm/README.md).
"$kilnc" "$models/facemesh-detection-short.json" "${flags[@]}" --name face_detector \
  --input-image=input:rgba8 --normalize=-1,1 --fit=letterbox --resize=asymmetric >/dev/null
# kilnc writes kiln-vision beside an image model's loader; the page loads its one copy.
rm -f "$out/models/kiln-vision.mjs" "$out/models/kiln-vision.d.ts"
"$kilnc" "$models/facemesh.json" "${flags[@]}" --name face_mesh >/dev/null
cp "$page/index.html" "$page/page.css" "$page/main.mjs" "$root/targets/wasm/vision/kiln-vision.mjs" "$out/"
cp "$photo" "$out/demo.png"
node "$page/frames.mjs" "$out/demo.y4m" >/dev/null

# The code a browser downloads for the page, weights apart.
code=("$out"/models/*.wasm "$out"/models/*.mjs "$out"/kiln-vision.mjs "$out"/main.mjs "$out"/index.html "$out"/page.css)
OUT=$out node -e '
const fs = require("fs"), zlib = require("zlib"), path = require("path");
const files = process.argv.slice(1); // node -e: no script name
const rows = files.map((f) => { const b = fs.readFileSync(f); return { file: path.relative(process.env.OUT, f), raw: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length }; });
const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
const weights = fs.readdirSync(path.join(process.env.OUT, "models")).filter((f) => f.endsWith(".weights.bin"))
  .reduce((s, f) => s + fs.statSync(path.join(process.env.OUT, "models", f)).size, 0);
const report = { files: rows, codeRaw: sum("raw"), codeGzip: sum("gzip"), weightsRaw: weights, goalRawBelow: 300 * 1024 };
fs.writeFileSync(path.join(process.env.OUT, "size.json"), JSON.stringify(report, null, 2) + "\n");
const kb = (n) => (n / 1024).toFixed(1) + " KB";
console.log(`face-mesh page in ${process.env.OUT}: code ${kb(report.codeRaw)} raw, ${kb(report.codeGzip)} gzip (goal: under 300 KB raw); weights ${kb(weights)}`);
' "${code[@]}"
