#!/usr/bin/env bash
# The sanitizer build (issue 17): Kiln's compiler, tools and tests built with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-asan/
# (-DKILN_SANITIZE=address,undefined, top-level CMakeLists.txt), then run
# under them: lit, the unit tests (ctest) and the ONNX conformance suite.
# Any sanitizer report stops that program with a non-zero status, so it
# fails its suite.
#
#   scripts/sanitize.sh [--subset] [--no-build] [--no-setup]
#
# --subset runs lit and the unit tests only (what scripts/test.sh runs:
# conformance under ASan takes longer than the test suite's budget);
# --no-build uses build-asan/ as it is. Ends with one summary line with each
# suite's time. KILN_ASAN_BUILD_DIR overrides build-asan/, KILN_JOBS the two
# build jobs.
#
# What is not instrumented: Debian's libraries (MLIR, LLVM, Halide,
# libonnx, protobuf), the kernels Halide compiles (JIT or AOT) and the C
# that kilnc compiles for a target. Leak checking is off: MLIR's and
# Halide's process-lifetime caches are never freed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_ASAN_BUILD_DIR:-$root/build-asan}
subset=0 do_build=1 do_setup=1
for arg in "$@"; do
  case $arg in
    --subset) subset=1 ;;
    --no-build) do_build=0 ;;
    --no-setup) do_setup=0 ;;
    *) echo "sanitize: unknown argument '$arg' (--subset, --no-build, --no-setup)" >&2; exit 2 ;;
  esac
done

if ((do_setup)); then
  bash "$root/scripts/setup.sh" || { echo "sanitize: set-up failed"; exit 1; }
fi
start=$SECONDS
if ((do_build)); then
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
      -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
      -DKILN_SANITIZE=address,undefined || { echo "sanitize: configure failed"; exit 1; }
  fi
  ninja -C "$build" -j "${KILN_JOBS:-2}" || { echo "sanitize: build failed"; exit 1; }
fi
build_s=$((SECONDS - start))

# halt_on_error: the first report fails the program. detect_leaks=0: see
# above. The Halide JIT's code is not instrumented; ASan's allocator serves
# it like everything else.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

declare -A results times
status=0
run() { # <name> <command...>
  local name=$1 t0=$SECONDS; shift
  echo "== $name (sanitized)"
  if "$@"; then results[$name]=pass; else results[$name]=FAIL; status=1; fi
  times[$name]=$((SECONDS - t0))
}
run lit python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv "$build/test/lit"
run unit ctest --test-dir "$build" --output-on-failure -j2
suites="lit unit"
if ((!subset)); then
  run conformance "$build/bin/kiln-conformance" --jobs 2 --report-dir "$build/conformance" \
    --expectations "$root/test/conformance/expected.txt"
  suites+=" conformance"
fi

summary="build: ${build_s} s  "
for name in $suites; do summary+="$name: ${results[$name]} (${times[$name]} s)  "; done
if ((status)); then echo "SANITIZED TESTS FAILED  $summary"; else echo "SANITIZED TESTS PASSED  $summary"; fi
exit $status
