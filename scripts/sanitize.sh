#!/usr/bin/env bash
# The sanitizer build (issue 17): Kiln's compiler, tools and tests built with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/
# (-DKILN_SANITIZE=address,undefined -DKILN_FUZZ=ON, top-level CMakeLists.txt:
# the same build holds scripts/fuzz.sh's targets), then run under them. Any
# sanitizer report stops that program with a non-zero status, so it fails
# its suite.
#
#   scripts/sanitize.sh [--quick | --full | --tsan | --e2e[=PART,...]] [--no-build] [--no-setup]
#
# --quick is what scripts/test.sh runs: only kiln-opt is built (about 40 steps,
# no Halide), and it runs the lit suites that use kiln-opt alone
# (test/lit/{dialects,graph}, test/lit/codegen/*.mlir) and then every real
# model (the sweep's list) through the graph, kernels and schedules phases:
# the normal build's kilnc (KILN_BUILD_DIR, default build/) imports each
# one, the sanitized kiln-opt runs the phases' pipelines on it.
# --full (the default) builds everything sanitized and runs: lit, the unit
# tests (ctest; those running Adams2019 with a beam of 1, see below), the
# ONNX conformance suite, the native end-to-end tests in the parts below,
# and the sweep's CI models compiled by the sanitized kilnc with
# --cpu-features=<isa>-asan (kernels under ASan, the runtime and host C under
# ASan+UBSan), run and compared with their oracle (sweep.mjs --sanitize).
# Far longer than the test suite's budget: a command of its own; the time
# of the last full run is in README.md's Reliability section.
# --e2e runs only the native end-to-end parts (build-asan/ built with
# kilnc, kiln-run and the generated models; --e2e=PART,... some of them),
# each a suite of its own in the summary, in this order (cheapest first, so
# that a part that finds something reports before the long ones):
#   runtime    test/e2e/runtime.test.mjs: BlazeFace front's kernels, Halide's
#              runtime, Kiln's runtime and the C around them under ASan+UBSan
#              (--cpu-features=<isa>-asan) against ONNX Runtime, the C API's
#              hostile arguments and weights files, 10,000 runs, TSan
#   quantized  test/e2e/quantized.test.mjs (the QLinear convnet)
#   kernels    the e2e's three ONNX models (BlazeFace front and back,
#              MobileNetV2) under templates with their kernels, runtime and
#              runner under ASan+UBSan+LSan, against ONNX Runtime
#              (sweep.mjs --sanitize --models ...)
#   front, back, mnv2, two
#              the tests of that model in test/e2e/cpu.test.mjs and
#              autoschedule.test.mjs (--test-name-pattern): fused,
#              unfused and its autoscheduler
# In every part the compiler is the sanitized kilnc (KILN_BUILD_DIR=build-asan).
# --tsan runs only the threading test under ThreadSanitizer, with the normal
# build's kilnc (KILN_BUILD_DIR, default build/; no build-asan/): BlazeFace
# front compiled with --cpu-features=sse41-tsan (kernels, Halide's runtime
# and thread pool, Kiln's runtime and host C instrumented), two contexts of
# two threads each run from two threads at once, one context from two
# threads refused as busy, and a negative control (two contexts sharing an
# arena) that TSan must report (test/e2e/native/threads_test.c). About 30 s;
# --full runs it too, inside the e2e suite.
# --no-build uses build-asan/ as it is. Ends with one summary line with each
# suite's time. KILN_ASAN_BUILD_DIR overrides build-asan/, KILN_JOBS the two
# build jobs.
#
# What is not instrumented: Debian's libraries (MLIR, LLVM, Halide,
# libonnx, protobuf). Leak checking is off for Kiln's own programs: MLIR's
# and Halide's process-lifetime caches are never freed (the generated
# programs of --full check leaks).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_ASAN_BUILD_DIR:-$root/build-asan}
quick=0 tsan=0 do_build=1 do_setup=1
all_parts=(runtime quantized kernels front back mnv2 two)
parts=() e2e_only=0
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --full) quick=0 ;;
    --tsan) tsan=1 ;;
    --e2e) e2e_only=1 ;;
    --e2e=*) e2e_only=1
      IFS=, read -ra parts <<<"${arg#--e2e=}"
      for p in "${parts[@]}"; do
        [[ " ${all_parts[*]} " == *" $p "* ]] ||
          { echo "sanitize: unknown e2e part '$p' (${all_parts[*]})" >&2; exit 2; }
      done ;;
    --no-build) do_build=0 ;;
    --no-setup) do_setup=0 ;;
    *) echo "sanitize: unknown argument '$arg' (--quick, --full, --tsan, --e2e[=PART,...], --no-build, --no-setup)" >&2; exit 2 ;;
  esac
done
((${#parts[@]})) || parts=("${all_parts[@]}")

if ((do_setup)); then
  bash "$root/scripts/setup.sh" || { echo "sanitize: set-up failed"; exit 1; }
fi
if ((tsan)); then
  # The test itself checks that the TSan runtime is installed, that the run
  # is clean and that the negative control's race is reported.
  # A renamed test would match nothing and pass: one test must have run.
  t0=$SECONDS log=$(mktemp)
  KILN_BUILD_DIR=${KILN_BUILD_DIR:-$root/build} node --test --test-name-pattern='ThreadSanitizer' \
    "$root/test/e2e/runtime.test.mjs" | tee "$log"
  rc=${PIPESTATUS[0]}
  grep -q '^# pass 1$' "$log" || { echo "sanitize: no ThreadSanitizer test ran"; rc=1; }
  rm -f "$log"
  if ((rc == 0)); then
    echo "SANITIZED TESTS PASSED  tsan: pass ($((SECONDS - t0)) s)"
    exit 0
  fi
  echo "SANITIZED TESTS FAILED  tsan: FAIL ($((SECONDS - t0)) s)"
  exit 1
fi
start=$SECONDS
if ((do_build)); then
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
      -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
      -DKILN_SANITIZE=address,undefined -DKILN_FUZZ=ON || { echo "sanitize: configure failed"; exit 1; }
  elif ! grep -q '^KILN_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
    # A build-asan/ from before the fuzz targets joined it: one configuration
    # for both scripts, or each would rebuild everything in turn.
    cmake -DKILN_FUZZ=ON "$build" >/dev/null || { echo "sanitize: configure failed"; exit 1; }
  fi
  targets=()
  ((quick)) && targets=(kiln-opt)
  ((e2e_only)) && targets=(kilnc kiln-run kiln-models kiln-qconvnet-models)
  ninja -C "$build" -j "${KILN_JOBS:-2}" "${targets[@]}" || { echo "sanitize: build failed"; exit 1; }
fi
build_s=$((SECONDS - start))

# halt_on_error: the first report fails the program. detect_leaks=0: see
# above. The Halide JIT's code is not instrumented; ASan's allocator serves
# it like everything else.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Every model the sweep knows, imported by the normal build's kilnc, then
# the graph, kernels and schedules phases in the sanitized kiln-opt. Models
# that do not import (unsupported ops) are skipped.
phases_on_models() {
  local normal=${KILN_BUILD_DIR:-$root/build} tmp failed=0 n=0 file
  [ -x "$normal/bin/kilnc" ] || { echo "sanitize: $normal/bin/kilnc is missing (scripts/build.sh)"; return 1; }
  tmp=$(mktemp -d)
  while IFS=$'\t' read -r _ file; do
    "$normal/bin/kilnc" "$file" --compile-to=import --print-weights -o "$tmp/m.mlir" 2>/dev/null || continue
    n=$((n + 1))
    if ! "$build/bin/kiln-opt" "$tmp/m.mlir" --kiln-graph-pipeline --kiln-kernels-pipeline \
        --kiln-schedules-pipeline -o /dev/null; then
      echo "sanitize: kiln-opt failed on $file"
      failed=1
    fi
  done < <(KILN_BUILD_DIR=$normal node "$root/test/sweep/sweep.mjs" --list)
  rm -rf "$tmp"
  echo "sanitize: $n models through the graph, kernels and schedules phases"
  return $failed
}

declare -A results times
status=0
run() { # <name> <command...>
  local name=$1 t0=$SECONDS; shift
  echo "== $name (sanitized)"
  if "$@"; then results[$name]=pass; else results[$name]=FAIL; status=1; fi
  times[$name]=$((SECONDS - t0))
}
# One part of the native e2e tests (see the header) under the sanitized
# kilnc. A node test file must run at least one test and fail none: a
# renamed test would otherwise match nothing and pass.
e2e_part() { # <part>
  local log rc pattern=() files=("$root/test/e2e/cpu.test.mjs" "$root/test/e2e/autoschedule.test.mjs")
  case $1 in
    kernels)
      KILN_BUILD_DIR="$build" nice -n 10 node "$root/test/sweep/sweep.mjs" --sanitize --targets cpu \
        --modes template --models blazeface-front.onnx,blazeface-back.onnx,mobilenetv2.onnx \
        --out "$build/e2e-kernels"
      return ;;
    runtime) files=("$root/test/e2e/runtime.test.mjs") ;;
    quantized) files=("$root/test/e2e/quantized.test.mjs") ;;
    front) pattern=(--test-name-pattern='^blazeface front') ;;
    back) pattern=(--test-name-pattern='^blazeface back') ;;
    mnv2) pattern=(--test-name-pattern='^mobilenetv2') ;;
    two) pattern=(--test-name-pattern='^two models') ;;
  esac
  log=$(mktemp)
  # HL_BEAM_SIZE=1: Adams2019 (BlazeFace front's autoscheduler) as in the
  # unit tests below.
  KILN_BUILD_DIR="$build" HL_BEAM_SIZE=1 nice -n 10 node --test "${pattern[@]}" "${files[@]}" | tee "$log"
  rc=${PIPESTATUS[0]}
  grep -q '^# pass [1-9]' "$log" || { echo "sanitize: e2e part $1 ran no test"; rc=1; }
  grep -q '^# fail 0$' "$log" || rc=1
  rm -f "$log"
  return "$rc"
}

lit=(python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv)
if ((e2e_only)); then
  suites=""
  for p in "${parts[@]}"; do
    run "e2e-$p" e2e_part "$p"
    suites+=" e2e-$p"
  done
elif ((quick)); then
  # The suites whose tests run kiln-opt alone (codegen/: its .mlir files).
  run lit "${lit[@]}" --filter '^Kiln :: (dialects|graph)/|^Kiln :: codegen/.*\.mlir$' "$build/test/lit"
  run models phases_on_models
  suites="lit models"
else
  run lit "${lit[@]}" "$build/test/lit"
  # Adams2019's beam search (32 wide) takes 2.4 GB and 25 s in the normal
  # build, and its allocations go through ASan's allocator (the plugin is
  # Debian's, not instrumented): 373 s for one test here (load 10-15), 3 s
  # with a beam of 1, most of the unit suite's time with none of it in
  # Kiln's code. The tests that run it go on their own with HL_BEAM_SIZE=1
  # (Halide's greedy search): the same Kiln code around the plugin, the
  # workarounds' passes and the reference checks, on the schedule the
  # greedy search picks, which may not be the one whose Halide bug a test
  # was written for (the normal suite keeps that).
  adams='^AutoScheduleTest\.Adams2019|^ConvTest\.AutoSchedulersMatchReference$'
  run unit ctest --test-dir "$build" --output-on-failure -j2 -E "$adams"
  run unit-adams2019 env HL_BEAM_SIZE=1 ctest --test-dir "$build" --output-on-failure -R "$adams"
  run conformance "$build/bin/kiln-conformance" --jobs 2 --report-dir "$build/conformance" \
    --expectations "$root/test/conformance/expected.txt"
  suites="lit unit unit-adams2019 conformance"
  for p in "${parts[@]}"; do
    run "e2e-$p" e2e_part "$p"
    suites+=" e2e-$p"
  done
  run sweep env KILN_BUILD_DIR="$build" nice -n 10 node "$root/test/sweep/sweep.mjs" --ci --sanitize \
    --targets cpu --out "$build/sweep-sanitize"
  suites+=" sweep"
fi
summary="build: ${build_s} s  "
for name in $suites; do summary+="$name: ${results[$name]} (${times[$name]} s)  "; done
if ((status)); then echo "SANITIZED TESTS FAILED  $summary"; else echo "SANITIZED TESTS PASSED  $summary"; fi
exit $status
