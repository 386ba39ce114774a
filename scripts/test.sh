#!/usr/bin/env bash
# Kiln's whole test suite: set-up, build, then every suite, with a closing
# summary line. This is the README's test command and what CI runs.
#   scripts/test.sh [--no-setup] [--no-build]
# --no-setup / --no-build skip those steps (a tree already set up and built;
# CI uses neither). KILN_BUILD_DIR: the build (default build/). KILN_TEST_JOBS:
# how many test files, sweep cases or conformance tests run at once (default
# 2, CI's two cores: kilnc and most test files use one core each).
#
# Several suites run a fixed sample or a smoke mode here, to stay inside CI's
# budget (README.md, "Two commands"); the summary names each one and how much of the
# whole it ran, and the command that runs the whole.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
jobs=${KILN_TEST_JOBS:-2}
do_setup=1 do_build=1
for arg in "$@"; do
  case $arg in
    --no-setup) do_setup=0 ;;
    --no-build) do_build=0 ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test: unknown option $arg (expected --no-setup, --no-build)" >&2; exit 2 ;;
  esac
done

((do_setup)) && { bash "$root/scripts/setup.sh" || { echo "test: set-up failed"; exit 1; }; }
((do_build)) && { bash "$root/scripts/build.sh" || { echo "test: build failed"; exit 1; }; }

declare -A results notes
status=0
run() { # <name> <command...>
  local name=$1 t0=$SECONDS; shift
  echo "== $name"
  if "$@"; then results[$name]=pass; else results[$name]=FAIL; status=1; fi
  results[$name]+=" ($((SECONDS - t0)) s)"
}
# "N of M tests" from a kiln-conformance report (its "total" is what ran).
conformance_sample() { # <report dir>
  local ran all
  ran=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$1/report.json" 2>/dev/null || echo "?")
  all=$(find /usr/share/libonnx-testdata/data/node -mindepth 1 -maxdepth 1 -type d | wc -l)
  echo "$ran of $all tests"
}

# "N of M models ..." from the sweep's report.
sweep_sample() { # <out dir>
  python3 - "$1/report.json" <<'PY' 2>/dev/null || echo "?"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
models = {r["model"] for r in rows}
run = {r["model"] for r in rows if r["phase"] == "artifact"}
print(f"{len(run)} of {len(models)} models compiled, run and compared, the rest to the schedules phase")
PY
}

run lit python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$build/test/lit"
run unit ctest --test-dir "$build" --output-on-failure -j "$jobs"
run conformance "$build/bin/kiln-conformance" --jobs "$jobs" --report-dir "$build/conformance" \
  --expectations "$root/test/conformance/expected.txt"
# The same tests on the SPIR-V (lavapipe) and WASM (Node) targets' real
# artifacts, a fixed sample (every 24th: test/conformance/README.md; run.sh
# <target> runs all), each passing test also checked against the CPU's outputs.
rm -f "$build"/conformance-{spirv,wasm}/report.json "$build/sweep-ci/report.json" # no stale counts
run conformance-spirv bash "$root/test/conformance/run.sh" spirv --sample
notes[conformance-spirv]="sample: $(conformance_sample "$build/conformance-spirv"), every 24th (all: test/conformance/run.sh spirv)"
run conformance-wasm bash "$root/test/conformance/run.sh" wasm --sample
notes[conformance-wasm]="sample: $(conformance_sample "$build/conformance-wasm"), every 24th (all: test/conformance/run.sh wasm)"
# The TF.js op suite: every converter op against TensorFlow.js, cpu and wasm.
run tfjs-ops env KILN_BUILD_DIR="$build" node "$root/test/tfjs-ops/run.mjs" --jobs "$jobs"
# Test files run $jobs at a time, each in its own process (node --test).
run e2e env KILN_BUILD_DIR="$build" node --test --test-concurrency="$jobs" "$root/test/e2e/"
notes[e2e]="sample: one Halide autoscheduler per model, 3 of 9 model x autoscheduler cases, Adams2019 greedy (HL_BEAM_SIZE=1) (all, full beam: KILN_E2E_ALL_MODES=1 node --test test/e2e/autoschedule.test.mjs)"
run web env KILN_BUILD_DIR="$build" node --test --test-concurrency="$jobs" "$root/test/web/"
notes[web]="sample: relaxed SIMD on BlazeFace back, 1 of 3 models (all: KILN_RELAXED_MODELS=all node --test test/web/relaxed.test.mjs)"
# Real models through the whole compiler: the sweep's sample (test/sweep/README.md).
run sweep env KILN_BUILD_DIR="$build" node "$root/test/sweep/sweep.mjs" --ci --jobs "$jobs" --out "$build/sweep-ci"
notes[sweep]="sample: $(sweep_sample "$build/sweep-ci"), templates only (all: scripts/sweep.sh)"
# kiln-opt built with ASan+UBSan on every real model and its lit suites
# (scripts/sanitize.sh --quick: 94 s from an empty build-asan/, 19 s built).
run sanitize env KILN_BUILD_DIR="$build" bash "$root/scripts/sanitize.sh" --quick --no-setup
notes[sanitize]="quick: kiln-opt alone under ASan+UBSan (all: scripts/sanitize.sh --full)"
# Each fuzz target a fixed, seeded run (libFuzzer -seed, -runs) from a fixed
# seed sample, the same inputs every time, in the same build-asan/
# (scripts/fuzz.sh --ci; fuzz/README.md has its measured time).
run fuzz env KILN_FUZZ_JOBS="$jobs" bash "$root/scripts/fuzz.sh" --ci
notes[fuzz]="smoke: fixed seeds and run counts (the search: scripts/fuzz.sh --minutes=N)"
# The benchmark's smoke mode (one iteration of each contender) keeps it from
# rotting; it asserts nothing about speed.
run bench env KILN_BUILD_DIR="$build" node "$root/benchmarks/run.mjs" --smoke --out "$build/bench-smoke"
notes[bench]="smoke: one run of each contender (all: node benchmarks/run.mjs)"

summary=""
for name in lit unit conformance conformance-spirv conformance-wasm tfjs-ops e2e web sweep sanitize fuzz bench; do
  summary+="$name: ${results[$name]}${notes[$name]:+ [${notes[$name]%%:*}]}  "
done
echo "== not the whole suite in this run:"
for name in "${!notes[@]}"; do echo "  $name: ${notes[$name]}"; done | sort
if ((status)); then echo "TESTS FAILED  $summary"; else echo "ALL TESTS PASSED  $summary"; fi
exit $status
