#!/usr/bin/env bash
# Kiln's benchmark side by side with ONNX Runtime and TensorFlow.js (issue 8):
# set-up, the build of what it needs, then benchmarks/run.mjs with the given
# flags (see `node benchmarks/run.mjs --help`). The full run writes
# benchmarks/results/; `bash scripts/bench.sh --smoke` is the CI check.
# KILN_SETUP_HUMAN_MODELS=1 also fetches the TF.js models (FaceMesh, ...).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh"
# Other engineers build in this tree: every build goes through the shared lock.
if [ ! -f "$build/build.ninja" ]; then
  flock /tmp/kiln-build.lock bash "$root/scripts/build.sh"
fi
flock /tmp/kiln-build.lock ninja -C "$build" -j "${KILN_JOBS:-2}" kilnc kiln-models
KILN_BUILD_DIR="$build" exec node "$root/benchmarks/run.mjs" "$@"
