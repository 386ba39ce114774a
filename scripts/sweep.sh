#!/usr/bin/env bash
# Every real model through every target and schedule mode (issue 17): the
# set-up, the build, then test/sweep/sweep.mjs, which compiles each model
# the set-up fetched for cpu and wasm under Kiln's templates and the three
# autoschedulers, checks that nothing crashes, and compares each compiled
# model's outputs with onnxruntime-node or TensorFlow.js. Report:
# build/sweep/report.md (a table per model x target x mode) and report.json.
#
#   scripts/sweep.sh                 # everything: hours (Adams2019: minutes per model)
#   scripts/sweep.sh --ci            # the test suite's sample (test/sweep/README.md)
#   scripts/sweep.sh --modes template,auto:li2018 --models posenet.json --keep
#
# Arguments go to sweep.mjs (node test/sweep/sweep.mjs --help). It runs
# under nice, one case at a time (--jobs N for more): other work on the
# machine keeps its share. Exit status 1 when an outcome differs from
# test/sweep/expected.txt.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh" || { echo "sweep: set-up failed"; exit 1; }
bash "$root/scripts/build.sh" || { echo "sweep: build failed"; exit 1; }
KILN_BUILD_DIR="$build" exec nice -n 10 node "$root/test/sweep/sweep.mjs" "$@"
