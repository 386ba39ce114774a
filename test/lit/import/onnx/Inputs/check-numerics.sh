#!/usr/bin/env bash
# Runs each model with ONNX Runtime (the oracle) and with Kiln's JIT
# (kiln-run) on the same fixed-seed inputs and requires every output to agree
# within 1e-4 of that output's range (test/e2e/compare.mjs; exact for
# integers and bools).
#
#   check-numerics.sh <kiln source root> <work dir> <model.onnxtext>...
#
# A model may carry extra make_inputs.mjs flags in a comment line, e.g.
#   # numerics: --range 0.1,2 --int-range 1,5
set -uo pipefail
root=$1 work=$2
shift 2
e2e=$root/test/e2e
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$work"
convert=$work/onnx_text_to_binary
${CXX:-c++} -std=c++17 -O0 -DONNX_NAMESPACE=onnx -DONNX_ML=1 "$here/onnx_text_to_binary.cpp" \
  -o "$convert" -lonnx -lonnx_proto -lprotobuf || exit 1

status=0
for model in "$@"; do
  name=$(basename "$model" .onnxtext)
  dir=$work/$name
  rm -rf "$dir" && mkdir -p "$dir"
  read -r -a flags <<<"$(sed -n 's/^# numerics: //p' "$model")"
  step() { # <what> <command...>: runs a step, reports a failure with its output
    local what=$1
    shift
    if ! "$@" >"$dir/$what.log" 2>&1; then
      echo "$name: $what failed:" && cat "$dir/$what.log"
      return 1
    fi
  }
  step convert "$convert" "$model" "$dir/model.onnx" &&
    step inputs node "$e2e/make_inputs.mjs" "$dir/model.onnx" --out-dir "$dir/in" --seed 1 \
      "${flags[@]}" &&
    step onnxruntime node "$e2e/ort_run.mjs" "$dir/model.onnx" --inputs-dir "$dir/in" \
      --outputs-dir "$dir/ort" --threads 1 &&
    step kiln kiln-run "$dir/model.onnx" --inputs-dir "$dir/in" --outputs-dir "$dir/kiln" &&
    step compare node "$e2e/compare.mjs" "$dir/ort" "$dir/kiln" --atol-frac 1e-4 &&
    echo "$name: Kiln matches ONNX Runtime" || status=1
done
exit $status
