#!/bin/bash
# Tunes the benchmark models from scratch into tuning/ (tuning/README.md):
#   bash tuning/make.sh [--retune] [ENTRY...]     ENTRY: model:device:threads:minutes
# with no ENTRY, every entry below. Each DB is written anew (a DB that
# exists is moved aside to NAME.jsonl.old first: the tune starts from
# nothing), its report beside it (NAME.txt), the tuning curve as NAME.png.
# --retune keeps the DB and tunes only the kernels whose template changed
# since it was tuned (kiln-tune --retune: kilnc keeps their template until
# then), appending to it; the report goes to NAME.retune.txt.
# Run after scripts/setup.sh and a build; niced, one tune at a time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
deps=${KILN_DEPS_DIR:-$root/.deps}
blazeface=$deps/models/blazeface/package/ONNX
human=$deps/models/human-models/package/models
# Keys as benchmarks/lib/models.mjs names the models (its tuned rows look for
# tuning/KEY.DEVICE-Nt.jsonl). FaceMesh and MoveNet are TF.js graph models.
declare -A models=(
  [blazeface_front]=$blazeface/face_detection_front_128x128_barracuda.onnx
  [blazeface_back]=$blazeface/face_detection_back_256x256_barracuda.onnx
  [mobilenetv2]=$build/test/models/mobilenetv2.onnx
  [facemesh]=$human/facemesh.json
  [movenet_lightning]=$human/movenet-lightning.json
)
retune=
if [ "${1:-}" = --retune ]; then retune=--retune; shift; fi
entries=("$@")
if [ ${#entries[@]} -eq 0 ]; then
  # Native minutes are the search's; the pairs and the whole-model
  # acceptance come after (tuning/README.md has each tune's wall time).
  # Each AOT candidate costs 1-5 s: 2 minutes measured only BlazeFace's
  # templates at load 11 (2026-12-07).
  entries=(blazeface_front:native:1:6 blazeface_back:native:1:7 mobilenetv2:native:1:10
           blazeface_front:native:2:6 blazeface_back:native:2:7 mobilenetv2:native:2:10
           blazeface_front:node:1:8 blazeface_back:node:1:8 mobilenetv2:node:1:10
           blazeface_front:chromium:1:5 blazeface_back:chromium:1:6 mobilenetv2:chromium:1:10
           blazeface_back:chromium:2:8
           facemesh:native:1:6 facemesh:native:2:6 facemesh:node:1:6 facemesh:chromium:1:6
           movenet_lightning:native:1:10 movenet_lightning:native:2:5 movenet_lightning:node:1:20
           movenet_lightning:chromium:1:7
           blazeface_front:vulkan:1:10)
fi
for entry in "${entries[@]}"; do
  IFS=: read -r model device threads minutes <<< "$entry"
  [ -n "${models[$model]:-}" ] || { echo "make.sh: no model '$model' (one of: ${!models[*]})" >&2; exit 2; }
  case $device in native) target=cpu ;; vulkan) target=spirv ;; *) target=wasm ;; esac
  name=$root/tuning/$model.$device-${threads}t
  report=$name.txt curve=$name.png how="from scratch"
  if [ -n "$retune" ]; then
    report=$name.retune.txt curve=$name.retune.png how="--retune of the DB"
  else
    [ -e "$name.jsonl" ] && mv "$name.jsonl" "$name.jsonl.old"
  fi
  # Native 1 thread is timed in process CPU time (the library runner's
  # KILN_TUNE_CLOCK=cpu): on a shared machine a preempted run is not slower
  # code. 2 threads keep wall time (a worker waiting for its chunk is the
  # pool's cost, and CPU time would count a spinning one twice).
  # The WASM runners likewise: Node's process.cpuUsage, Chromium's renderer
  # thread (tuner/runners/chromium.mjs lends the page that clock); on 2
  # threads (the threaded module on the loader's pool, in Node or in the
  # cross-origin isolated page) wall time, for the same reason.
  clock=wall; [ "$threads" = 1 ] && clock=cpu
  [ -n "${KILN_TUNE_CLOCK:-}" ] && clock=$KILN_TUNE_CLOCK
  echo "tuning $model on $device, $threads thread(s), $minutes min, $clock clock $retune (load $(cut -d' ' -f1-3 /proc/loadavg))"
  start=$(date +%s)
  KILN_TUNE_CLOCK=$clock nice -n 10 "$build/bin/kiln-tune" "${models[$model]}" --target=$target --device=$device \
    --threads="$threads" --db="$name.jsonl" --trials=0 --minutes="$minutes" --seed=1 $retune \
    --curve="$curve" > "$report" 2> "$name.log" || { tail -5 "$name.log"; exit 1; }
  grep -h '^kiln-tune: --retune' "$name.log" >> "$report" || true
  echo "# $(($(date +%s) - start)) s wall, $how, $(date -u +%FT%TZ), load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$report"
  rm -f "$name.log" "${curve%.png}.svg" # the curve is kept as PNG
  grep -E '^(sum of|acceptance|  rejected|model end to end|kiln-tune: --retune)' "$report" || true
done
