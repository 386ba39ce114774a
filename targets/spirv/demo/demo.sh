#!/usr/bin/env bash
# The CPU demo's photo and program through Vulkan: compiles BlazeFace front
# with kilnc --target=spirv, links blazeface_vk_demo.c, runs it (lavapipe
# unless VK_ICD_FILENAMES or KILN_VK_DEVICE pick another device).
# Needs the build (scripts/build.sh) and the set-up's models and photo.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
out=$root/out/spirv-demo
model=$root/.deps/models/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx
photo=$root/.deps/demo/astronaut.png
mkdir -p "$out"
"$build/bin/kilnc" "$model" --target=spirv -o "$out" --name=blazeface > /dev/null
clang-19 -O2 -std=c11 -I "$out" "$root/targets/spirv/demo/blazeface_vk_demo.c" \
  "$out/libblazeface.a" "$out/libkiln_runtime_vulkan.a" -lm -lpthread -ldl -o "$out/blazeface_vk_demo"
python3 "$root/scripts/png_to_tensor.py" "$photo" "$out/input.bin" --size 128
LP_NUM_THREADS=${LP_NUM_THREADS:-0} "$out/blazeface_vk_demo" "$out/input.bin" 512 512 "${1:-5}"
