#!/usr/bin/env bash
# The ONNX node tests on one target, against that target's expectations file.
#   test/conformance/run.sh cpu|spirv|wasm [--sample] [kiln-conformance options...]
# cpu: the JIT in process, expected.txt. spirv: lavapipe through the generated
# Vulkan host, expected_spirv.txt. wasm: Node through the generated loader,
# expected_wasm.txt. spirv and wasm also compare every test they pass with the
# CPU target's outputs (--check-cpu: a disagreement fails the run) and list in
# report.md the tests whose status differs from the CPU's (expected.txt).
# --sample: the fixed sample scripts/test.sh runs (every SAMPLE_EVERY-th test
# in name order, from the first; README.md beside this script). Reports go to
# $KILN_BUILD_DIR/conformance-<target>/ (cpu: conformance/).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
here=$root/test/conformance
SAMPLE_EVERY=24

target=${1:-}
shift || true
args=()
case "$target" in
cpu) args+=(--expectations "$here/expected.txt" --report-dir "$build/conformance") ;;
spirv | wasm)
  # 300 s a test: a 5-D loss test compiles for minutes on a loaded machine.
  args+=(--target="$target" --timeout 300 --check-cpu --cpu-expectations "$here/expected.txt"
    --expectations "$here/expected_$target.txt" --report-dir "$build/conformance-$target") ;;
*)
  echo "usage: test/conformance/run.sh cpu|spirv|wasm [--sample] [kiln-conformance options...]" >&2
  exit 2 ;;
esac
if [ "${1:-}" = "--sample" ]; then
  shift
  [ "$target" = cpu ] && { echo "run.sh: the cpu target runs whole (no --sample)" >&2; exit 2; }
  args+=(--shard "0/$SAMPLE_EVERY")
fi
exec "$build/bin/kiln-conformance" --jobs 2 "${args[@]}" "$@"
