#!/usr/bin/env bash
# Kiln's whole test suite: set-up, build, then lit and the unit tests, with a
# closing summary line. This is the README's test command and what CI runs.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh" || { echo "test: set-up failed"; exit 1; }
bash "$root/scripts/build.sh" || { echo "test: build failed"; exit 1; }

declare -A results
status=0
run() { # <name> <command...>
  local name=$1 t0=$SECONDS; shift
  echo "== $name"
  if "$@"; then results[$name]=pass; else results[$name]=FAIL; status=1; fi
  results[$name]+=" ($((SECONDS - t0)) s)"
}
run lit python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$build/test/lit"
run unit ctest --test-dir "$build" --output-on-failure -j2
run conformance "$build/bin/kiln-conformance" --jobs 2 --report-dir "$build/conformance" \
  --expectations "$root/test/conformance/expected.txt"
# The same tests on the SPIR-V (lavapipe) and WASM (Node) targets' real
# artifacts, a fixed sample (every 24th: test/conformance/README.md; run.sh
# <target> runs all), each passing test also checked against the CPU's outputs.
run conformance-spirv bash "$root/test/conformance/run.sh" spirv --sample
run conformance-wasm bash "$root/test/conformance/run.sh" wasm --sample
# The TF.js op suite: every converter op against TensorFlow.js, cpu and wasm.
run tfjs-ops env KILN_BUILD_DIR="$build" node "$root/test/tfjs-ops/run.mjs"
run e2e env KILN_BUILD_DIR="$build" node --test "$root/test/e2e/"
run web env KILN_BUILD_DIR="$build" node --test "$root/test/web/"
# Real models through the whole compiler: the sweep's sample (test/sweep/README.md).
run sweep env KILN_BUILD_DIR="$build" node "$root/test/sweep/sweep.mjs" --ci --out "$build/sweep-ci"
# kiln-opt built with ASan+UBSan on every real model and its lit suites
# (scripts/sanitize.sh --quick: 94 s from an empty build-asan/, 19 s built).
run sanitize env KILN_BUILD_DIR="$build" bash "$root/scripts/sanitize.sh" --quick --no-setup
# Each fuzz target a fixed, seeded run (libFuzzer -seed, -runs) from a fixed
# seed sample, the same inputs every time, in the same build-asan/
# (scripts/fuzz.sh --ci; fuzz/README.md has its measured time).
run fuzz bash "$root/scripts/fuzz.sh" --ci
# The benchmark's smoke mode (one iteration of each contender) keeps it from
# rotting; it asserts nothing about speed.
run bench env KILN_BUILD_DIR="$build" node "$root/benchmarks/run.mjs" --smoke --out "$build/bench-smoke"

summary=""
for name in lit unit conformance conformance-spirv conformance-wasm tfjs-ops e2e web sweep sanitize fuzz bench; do summary+="$name: ${results[$name]}  "; done
if ((status)); then echo "TESTS FAILED  $summary"; else echo "ALL TESTS PASSED  $summary"; fi
exit $status
