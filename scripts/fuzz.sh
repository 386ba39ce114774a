#!/usr/bin/env bash
# Kiln's fuzzers (fuzz/README.md): builds them into the sanitizer build
# (build-asan/, -DKILN_FUZZ=ON: the same build scripts/sanitize.sh uses), makes
# the seed corpora, replays fuzz/regressions/, runs each target, and prints its
# executions, coverage and crashes. Writes BUILD/fuzz-summary.json and appends
# each run to BUILD/fuzz-history.jsonl.
#
#   scripts/fuzz.sh [TARGET...] [--minutes=N | --seconds=N] [--ci] [--no-build]
#
# TARGET: onnx, onnx-text, tfjs-json, tfjs-weights, tuning-db (default: all, one after
# another). Each runs N minutes (default 5) on one core, niced: the search,
# libFuzzer's -fork=1 with a random seed. --ci is what scripts/test.sh runs, a
# deterministic smoke test: the regressions, then every target in one
# process (no fork; two targets at a time, KILN_FUZZ_JOBS), from a fixed libFuzzer -seed, for a fixed number of
# executions (-runs, sized to about 15 s each; --seconds=N or --minutes=N
# runs N s instead, still seeded), from a fixed sample of its seeds (the 32
# smallest, so that libFuzzer's first pass over them fits; fuzz/README.md) in
# a fresh corpus: the same inputs on every run of the same tree. It fails on
# any crash, hang, leak or out-of-memory, and on any regression input that
# no longer fails cleanly. Artifacts (the inputs that crashed) go
# to BUILD/artifacts/TARGET/; full logs to BUILD/logs/. --no-build fuzzes the
# binaries as they are. KILN_FUZZ_BUILD_DIR (or KILN_ASAN_BUILD_DIR)
# overrides build-asan/, KILN_JOBS the two build jobs.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_FUZZ_BUILD_DIR:-${KILN_ASAN_BUILD_DIR:-$root/build-asan}}
all_targets=(onnx onnx-text tfjs-json tfjs-weights tuning-db)

targets=() seconds=300 ci=0 do_build=1 timed=0
for arg in "$@"; do
  case $arg in
    --minutes=*) seconds=$((${arg#--minutes=} * 60)) timed=1 ;;
    --seconds=*) seconds=${arg#--seconds=} timed=1 ;;
    --ci) ci=1 ;;
    --no-build) do_build=0 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $arg" >&2; exit 2 ;;
    *) if [[ " ${all_targets[*]} " != *" $arg "* ]]; then
         echo "fuzz: unknown target '$arg' (expected ${all_targets[*]})" >&2; exit 2
       fi
       targets+=("$arg") ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
ci_seeds=32
# --ci: libFuzzer's -seed and -runs per target. Fork mode passes -seed to
# every child unchanged but bounds each child by time (-max_total_time, and
# drops -runs), so how far each gets depends on the machine's speed: the CI
# run is one process with a fixed count instead. The counts are sized to
# about 15 s each on the development machine (fuzz/README.md, "In CI").
declare -A ci_seed=([onnx]=1701 [onnx-text]=1702 [tfjs-json]=1703 [tfjs-weights]=1704 [tuning-db]=1705)
# No address-space randomisation for the CI runs (util-linux's setarch),
# where the kernel or a container's seccomp profile allows it.
norand=()
if ((ci)); then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    norand=(setarch "$(uname -m)" -R)
  else
    echo "fuzz: setarch -R is refused here: the --ci runs are seeded but not repeatable"
  fi
fi
declare -A ci_runs=([onnx]=2000 [onnx-text]=2000 [tfjs-json]=2000 [tfjs-weights]=1500 [tuning-db]=200)

# --- build: the sanitizer build with the fuzz targets (scripts/sanitize.sh
# configures it the same way; a build-asan/ made without them is switched on).
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
    -DKILN_SANITIZE=address,undefined -DKILN_FUZZ=ON >/dev/null ||
    { echo "fuzz: cmake failed"; exit 1; }
elif ! grep -q '^KILN_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -DKILN_FUZZ=ON "$build" >/dev/null || { echo "fuzz: cmake failed"; exit 1; }
fi
mkdir -p "$build/logs"
if ((do_build)); then
  ninja -C "$build" -j "${KILN_JOBS:-2}" kiln-fuzz >"$build/logs/build.log" 2>&1 ||
    { tail -30 "$build/logs/build.log"; echo "fuzz: build failed"; exit 1; }
fi

# --- seeds: from set-up's models, libonnx-testdata and the lit tests -------
seeds=$build/seeds
if [ ! -d "$seeds" ] || [ "$root/fuzz/make_corpus.py" -nt "$seeds" ] ||
   [ -n "$(find "$root/fuzz/tfjs-weights" -newer "$seeds" -print -quit)" ]; then
  rm -rf "$seeds"
  python3 "$root/fuzz/make_corpus.py" "$build" "$seeds.tmp" && mv "$seeds.tmp" "$seeds" ||
    { echo "fuzz: making the seed corpora failed"; exit 1; }
fi

dict() {
  case $1 in
    onnx*) echo "$root/fuzz/dicts/onnx.dict" ;;
    tuning-db) echo "$root/fuzz/dicts/tuning.dict" ;;
    *) echo "$root/fuzz/dicts/tfjs.dict" ;;
  esac
}
# One target: replay, fuzz, report. Writes its summary line, its JSON entry
# and its status to $results/<target>.{line,json,status}.
results=$build/logs/results
rm -rf "$results"
mkdir -p "$results"
fuzz_one() { # <target>
  local t=$1 status=0
  bin=$build/bin/kiln-fuzz-$t
  regressions=$root/fuzz/regressions/$t
  corpus=$build/corpus/$t artifacts=$build/artifacts/$t target_seeds=$seeds/$t
  log=$build/logs/$t.log
  if ((ci)); then
    # A fixed sample and a fresh corpus: the same work on every CI machine,
    # and libFuzzer's first pass over its seeds (a second each under the
    # sanitizers for the bigger models) stays a small part of the run.
    corpus=$build/ci/corpus/$t target_seeds=$build/ci/seeds/$t
    rm -rf "$corpus" "$target_seeds"
    mkdir -p "$target_seeds"
    find "$seeds/$t" -type f -printf '%s %f\n' | sort -n -k1,1 -k2,2 | head -"$ci_seeds" |
      while read -r _ name; do cp "$seeds/$t/$name" "$target_seeds/"; done
  fi
  mkdir -p "$corpus" "$artifacts" "$regressions"

  # Every input that once broke a promise must now import or fail cleanly.
  replayed=0
  mapfile -t inputs < <(find "$regressions" -type f ! -name '*.md' | sort)
  if ((${#inputs[@]})); then
    if "$bin" -runs=1 "${inputs[@]}" >"$build/logs/$t.replay.log" 2>&1; then
      replayed=${#inputs[@]}
    else
      echo "fuzz: $t: a regression input fails again; see $build/logs/$t.replay.log"
      status=1
    fi
  fi

  stamp=$(mktemp)
  start=$(date +%s)
  common=(-timeout=25 -rss_limit_mb=3072 -dict="$(dict "$t")" -artifact_prefix="$artifacts/")
  if ((ci)); then
    # One process, a fixed seed and a fixed amount of work (or time, when
    # asked): it stops at the first crash, which fails the suite. The seed
    # alone does not make the run repeat: the trace-cmp tables that feed
    # libFuzzer's CMP and auto-dictionary mutations are indexed by code
    # address (address-space randomisation moves them), and -reload's
    # re-read of the corpus every second runs an extra input at a moment
    # that depends on the clock. With both off, two runs of the onnx target
    # kept the same corpus, byte for byte, with the same coverage.
    budget=(-runs="${ci_runs[$t]}")
    ((timed)) && budget=(-max_total_time="$seconds")
    "${norand[@]}" nice -n 10 "$bin" -seed="${ci_seed[$t]}" -reload=0 "${budget[@]}" "${common[@]}" \
      "$corpus" "$target_seeds" "$regressions" >"$log" 2>&1
  else
    # One core: one forked child at a time, niced. Crashes, hangs and
    # out-of-memory are kept as artifacts and fuzzing goes on.
    nice -n 10 "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$seconds" "${common[@]}" "$corpus" "$target_seeds" "$regressions" >"$log" 2>&1
  fi
  rc=$?
  elapsed=$(($(date +%s) - start))
  # The last status line: "#N: cov: C ft: F corp: K exec/s: E ..." (fork)
  # or "#N<tab>DONE cov: C ft: F corp: K/SIZE ..." (one process).
  last=$(grep -aE '^#[0-9]+:?[[:space:]]+([A-Z]+[[:space:]]+)?cov: ' "$log" | tail -1)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$last")
  ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<<"$last")
  corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"$last")
  # slow-unit-* are libFuzzer's notes of slow inputs (under -timeout), not failures.
  found=$(find "$artifacts" -type f -newer "$stamp" ! -name 'slow-unit-*' | wc -l)
  rm -f "$stamp"
  [ -n "$last" ] || { execs=0 cov=0 ft=0 corp=0; echo "fuzz: $t: no status from libFuzzer (rc $rc); see $log"; status=1; }
  ((found == 0)) || status=1
  # One process ends non-zero on a failure even where no artifact was kept.
  ((ci && rc != 0 && found == 0)) && { echo "fuzz: $t: libFuzzer exited with $rc; see $log"; status=1; }
  line=$(printf '%-13s %5ss %10s execs  cov %6s  ft %7s  corpus %6s  crashes %s  regressions %s' \
    "$t" "$elapsed" "$execs" "$cov" "$ft" "$corp" "$found" "$replayed")
  echo "fuzz: $line"
  echo "$line" >"$results/$t.line"
  entry=$(printf '{"target": "%s", "seconds": %s, "executions": %s, "coverage": %s, "features": %s, "corpus": %s, "crashes": %s, "regressions_replayed": %s, "ci": %s, "date": "%s"}' \
    "$t" "$elapsed" "$execs" "$cov" "$ft" "$corp" "$found" "$replayed" \
    "$([ $ci = 1 ] && echo true || echo false)" "$(date -u +%FT%TZ)")
  echo "$entry" >"$results/$t.json"
  if ((found)); then
    echo "fuzz: $t: $found new artifact(s) in $artifacts:"
    ls -t "$artifacts" | grep -v "^slow-unit-" | head -"$found" | sed "s|^|  $artifacts/|"
  fi
  echo "$status" >"$results/$t.status"
}

# --ci runs two targets at once (KILN_FUZZ_JOBS; each is one process on one
# core, and its fixed -runs make the work the same whatever runs beside it);
# the search runs one after another, each on one core.
fuzz_jobs=1
((ci)) && fuzz_jobs=${KILN_FUZZ_JOBS:-2}
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= fuzz_jobs)); do wait -n; done
  fuzz_one "$t" &
done
wait
status=0 summary=() report=""
for t in "${targets[@]}"; do
  if [ "$(cat "$results/$t.status" 2>/dev/null)" != 0 ]; then status=1; fi
  [ -f "$results/$t.status" ] || echo "fuzz: $t: ended without a result"
  [ -f "$results/$t.line" ] && report+="$(cat "$results/$t.line")"$'\n'
  if [ -f "$results/$t.json" ]; then
    summary+=("$(cat "$results/$t.json")")
    cat "$results/$t.json" >>"$build/fuzz-history.jsonl"
  fi
done

{ echo "["; (IFS=$'\n'; echo "${summary[*]}" | sed '$!s/$/,/' | sed 's/^/  /'); echo "]"; } \
  >"$build/fuzz-summary.json"
echo "== fuzz summary ($build/fuzz-summary.json)"
printf '%s' "$report"
exit $status
