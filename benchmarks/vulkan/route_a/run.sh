#!/usr/bin/env bash
# Route (a) against route (b) for the SPIR-V target (issue 21), one kernel
# both ways on one Vulkan driver. Standalone: no CMake, nothing the build or
# the test suite uses. See README.md beside it.
#
#   benchmarks/vulkan/route_a/run.sh [ROUNDS] [RUNS]
# ROUNDS (default 5) rotating rounds of RUNS (default 21) runs per
# contender; prints each contender's median CPU and wall ms per run over the
# rounds' medians. Env: KILNC (default build/bin/kilnc), OUT (default
# /tmp/kiln-route-a), VK_ICD_FILENAMES (default lavapipe), ROUTE_A_NAIVE=1
# also times the c24x4 schedule (its first run takes ~70 s on lavapipe).
# Needs: clang++-19, libhalide14-0-dev, libvulkan-dev, mesa-vulkan-drivers,
# glslang-tools (glslangValidator), spirv-tools, node, a built kilnc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rounds=${1:-5}
runs=${2:-21}
kilnc=${KILNC:-$root/build/bin/kilnc}
out=${OUT:-/tmp/kiln-route-a}
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}
export LP_NUM_THREADS=${LP_NUM_THREADS:-0} # lavapipe on the calling thread, as Kiln's figures
for tool in clang++-19 clang-19 glslangValidator spirv-val node; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (glslangValidator: apt-get install glslang-tools)" >&2; exit 1; }
done
[ -x "$kilnc" ] || { echo "run.sh: no kilnc at $kilnc (set KILNC)" >&2; exit 1; }
mkdir -p "$out"
cd "$out"

echo "== build"
clang++-19 -std=c++17 -O1 "$here/gen_conv.cpp" -I/usr/include/halide14 -lHalide14 -o gen_conv
clang-19 -O2 -std=c11 -Wall "$here/host_a.c" -lvulkan -lm -o host_a

scheds="tile8x8 c24x4r"
[ "${ROUTE_A_NAIVE:-0}" = 1 ] && scheds="$scheds c24x4"
echo "== route (a): Halide 14 OpenGLCompute -> GLSL -> glslangValidator -> SPIR-V"
for s in $scheds; do
  ./gen_conv "$s" "a_$s.comp" "a_$s.launch"
  glslangValidator -V -R --auto-map-bindings -S comp "a_$s.comp" -o "a_$s.spv" >"a_$s.glslang.txt"
  spirv-val --target-env vulkan1.0 "a_$s.spv"
  echo "a_$s: $(wc -l <"a_$s.comp") GLSL lines, $(stat -c %s "a_$s.spv") SPIR-V bytes, launch $(cat "a_$s.launch"), spirv-val vulkan1.0 ok"
done

echo "== route (b): kilnc --target=spirv on a one-Conv ONNX model"
node "$here/mk_conv.mjs" conv.onnx
rm -rf b
"$kilnc" conv.onnx --target=spirv --name=conv -o b
spirv-val --target-env vulkan1.0 b/conv_k1_d0.spv
clang-19 -O2 -std=c11 -Wall -I b "$here/bench_b.c" b/libconv.a b/libkiln_runtime_vulkan.a -lm -lpthread -ldl -o bench_b
# Kiln's conv dispatch alone (conv2d_1: NHWC in, HWIO weights, as route
# (a)'s) in route (a)'s host: its bindings and launch (workgroup 24x4,
# 4 columns per invocation: groups 1 x 4 x 64), checked by host_a's
# comparison with the C reference.
echo "1 4 64 24 4 1" >b_conv.launch
kiln_args="bias=0,in=2,out=1,wt=3,entry=k_kernel"

declare -A cpu wall
contenders="$(for s in $scheds; do echo -n "a_$s "; done)b_conv_dispatch b_conv_run"
one() { # contender -> "wall_ms_median W cpu_ms_median C runs N"
  case $1 in
    a_*) ./host_a "$1.spv" "$1.comp" "$1.launch" "$runs" 2>/dev/null | tail -1 ;;
    b_conv_dispatch) ./host_a b/conv_k1_d0.spv - b_conv.launch "$runs" "$kiln_args" 2>/dev/null | tail -1 ;;
    b_conv_run) ./bench_b "$runs" 2>/dev/null ;;
  esac
}
echo "== correctness (each against the plain C conv, 1e-4 of range)"
check() { # name, host_a's arguments: exits on a wrong output
  local name=$1
  shift
  # first run with Mesa's on-disk shader cache off: the driver's pipeline compile
  if ! MESA_SHADER_CACHE_DISABLE=true ./host_a "$@" >"$name.check.txt" 2>&1; then
    echo "run.sh: $name disagrees with the C reference:" >&2
    cat "$name.check.txt" >&2
    exit 1
  fi
  echo "$name: $(grep -E 'max_abs|first run' "$name.check.txt" | tr '\n' ' ')"
}
for s in $scheds; do check "a_$s" "a_$s.spv" "a_$s.comp" "a_$s.launch" 1; done
check b_conv_dispatch b/conv_k1_d0.spv - b_conv.launch 1 "$kiln_args"

echo "== timing: $rounds rounds x $runs runs, load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
set -- $contenders
for ((r = 0; r < rounds; ++r)); do
  # rotate the order each round
  list=("$@")
  n=${#list[@]}
  for ((i = 0; i < n; ++i)); do
    c=${list[$(((i + r) % n))]}
    line=$(one "$c")
    read -r _ w _ cp _ _ <<<"$line"
    wall[$c]+="$w "
    cpu[$c]+="$cp "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %12s %12s   (round medians, CPU ms)\n' contender cpu_ms wall_ms
for c in $contenders; do
  printf '%-20s %12s %12s   %s\n' "$c" "$(echo "${cpu[$c]}" | median)" "$(echo "${wall[$c]}" | median)" "${cpu[$c]}"
done
