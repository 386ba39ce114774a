// RUN: kiln-opt %s --kiln-assign-schedules="target=x86-64-linux-avx512_skylake-avx2-fma" | FileCheck %s --check-prefix=AVX512
// RUN: kiln-opt %s --kiln-assign-schedules="target=x86-64-linux-avx2-fma" | FileCheck %s --check-prefix=AVX2
// RUN: kiln-opt %s --kiln-assign-schedules="target=wasm-32-wasmrt-wasm_simd128" | FileCheck %s --check-prefix=WASM
// RUN: kiln-opt %s --kiln-assign-schedules="mode=auto:adams2019" | FileCheck %s --check-prefix=AUTO
// RUN: not kiln-opt %s --kiln-assign-schedules="target=sparc-64-solaris" 2>&1 | FileCheck %s --check-prefix=BADTARGET
// RUN: not kiln-opt %s --kiln-assign-schedules="mode=auto:magic" 2>&1 | FileCheck %s --check-prefix=BADMODE

// A 1x1 conv with 48 output channels: AVX-512 takes 16 lanes and a tile of
// three vectors, its 16-channel reduction unrolled by 4 (native 1x1 convs,
// Templates.cpp), AVX2 8 lanes, WASM SIMD 4 lanes and at most 8 accumulators.
// AVX512-LABEL: func.func @conv1x1
// AVX512: kiln.kernel "conv"
// AVX512: kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = conv1x1, vector_width = 16, channel_tile = 48, pixel_tile = 8, row_tile = 1, unroll = 4, parallel = [], compute_at = tile, order = pixel_major>
// AVX2-LABEL: func.func @conv1x1
// AVX2: pattern = conv1x1, vector_width = 8,
// WASM-LABEL: func.func @conv1x1
// WASM: pattern = conv1x1, vector_width = 4, channel_tile = 16, pixel_tile = 2,
// An autoscheduler's record keeps the template's knobs to fall back to.
// AUTO-LABEL: func.func @conv1x1
// AUTO: kiln.schedule = #kiln.schedule<version = 1, mode = adams2019, pattern = conv1x1, vector_width = {{[0-9]+}}
func.func @conv1x1(%x: tensor<1x8x8x16xf32>, %w: tensor<48x1x1x16xf32>, %b: tensor<48xf32>) -> tensor<1x8x8x48xf32> {
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x8x8x16xf32>, tensor<48x1x1x16xf32>, tensor<48xf32>) -> tensor<1x8x8x48xf32> {
  ^bb0(%a: tensor<1x8x8x16xf32>, %c: tensor<48x1x1x16xf32>, %d: tensor<48xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<48x1x1x16xf32>, tensor<48xf32>) -> tensor<1x8x8x48xf32>
    %2 = tosa.clamp %1 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x8x8x48xf32>) -> tensor<1x8x8x48xf32>
    kiln.yield %2 : tensor<1x8x8x48xf32>
  }
  return %0 : tensor<1x8x8x48xf32>
}

// x86 below AVX-512, 1x1 convs: weight-stationary (channel_major) once the
// weights outgrow the 32 KB L1 (14x14x64 -> 384: 96 KB), the reduction
// unrolled only when they outgrow the target's L2 too (avx2: 512 KB;
// 7x7x160 -> 960: 600 KB). AVX-512 keeps pixel-major with the unroll for both.
// A row of 14 takes tiles of 2 pixels x 2 rows (3 x 4 pixels computed 16 of
// 14); a row of 7 keeps 4 pixels x 1 row (no tile of rows wastes less).
// AVX512-LABEL: func.func @conv1x1_past_l1
// AVX512: pattern = conv1x1, vector_width = 16, {{.*}} unroll = 4, parallel = [1], compute_at = tile, order = pixel_major>
// AVX2-LABEL: func.func @conv1x1_past_l1
// AVX2: pattern = conv1x1, vector_width = 8, channel_tile = 24, pixel_tile = 2, row_tile = 2, unroll = 1, parallel = [], compute_at = tile, order = channel_major>
func.func @conv1x1_past_l1(%x: tensor<1x14x14x64xf32>, %w: tensor<384x1x1x64xf32>, %b: tensor<384xf32>) -> tensor<1x14x14x384xf32> {
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x14x14x64xf32>, tensor<384x1x1x64xf32>, tensor<384xf32>) -> tensor<1x14x14x384xf32> {
  ^bb0(%a: tensor<1x14x14x64xf32>, %c: tensor<384x1x1x64xf32>, %d: tensor<384xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x14x14x64xf32>, tensor<384x1x1x64xf32>, tensor<384xf32>) -> tensor<1x14x14x384xf32>
    kiln.yield %1 : tensor<1x14x14x384xf32>
  }
  return %0 : tensor<1x14x14x384xf32>
}

// AVX512-LABEL: func.func @conv1x1_past_l2
// AVX512: pattern = conv1x1, vector_width = 16, {{.*}} unroll = 4, parallel = [1], compute_at = tile, order = pixel_major>
// AVX2-LABEL: func.func @conv1x1_past_l2
// AVX2: pattern = conv1x1, vector_width = 8, channel_tile = 24, pixel_tile = 4, row_tile = 1, unroll = 4, parallel = [], compute_at = tile, order = channel_major>
func.func @conv1x1_past_l2(%x: tensor<1x7x7x160xf32>, %w: tensor<960x1x1x160xf32>, %b: tensor<960xf32>) -> tensor<1x7x7x960xf32> {
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x7x7x160xf32>, tensor<960x1x1x160xf32>, tensor<960xf32>) -> tensor<1x7x7x960xf32> {
  ^bb0(%a: tensor<1x7x7x160xf32>, %c: tensor<960x1x1x160xf32>, %d: tensor<960xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x7x7x160xf32>, tensor<960x1x1x160xf32>, tensor<960xf32>) -> tensor<1x7x7x960xf32>
    kiln.yield %1 : tensor<1x7x7x960xf32>
  }
  return %0 : tensor<1x7x7x960xf32>
}

// Past L2 with a long reduction (7x7x960 -> 160: 600 KB, a 24-channel tile's
// weights 92 KB, past L1): 16-channel tiles, a weight row per 64-byte line.
// 160 -> 960 above (a 15 KB tile) keeps 24.
// AVX512-LABEL: func.func @conv1x1_long_reduction
// AVX512: pattern = conv1x1, vector_width = 16, {{.*}} order = pixel_major>
// AVX2-LABEL: func.func @conv1x1_long_reduction
// AVX2: pattern = conv1x1, vector_width = 8, channel_tile = 16, pixel_tile = 4, row_tile = 1, unroll = 4, parallel = [], compute_at = tile, order = channel_major>
func.func @conv1x1_long_reduction(%x: tensor<1x7x7x960xf32>, %w: tensor<160x1x1x960xf32>, %b: tensor<160xf32>) -> tensor<1x7x7x160xf32> {
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x7x7x960xf32>, tensor<160x1x1x960xf32>, tensor<160xf32>) -> tensor<1x7x7x160xf32> {
  ^bb0(%a: tensor<1x7x7x960xf32>, %c: tensor<160x1x1x960xf32>, %d: tensor<160xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x7x7x960xf32>, tensor<160x1x1x960xf32>, tensor<160xf32>) -> tensor<1x7x7x160xf32>
    kiln.yield %1 : tensor<1x7x7x160xf32>
  }
  return %0 : tensor<1x7x7x160xf32>
}

// WASM SIMD: 28 output channels fill no whole tile of 2 or 4 vectors, but a
// tile of one vector (4 x 8 pixels, 8 accumulators, all useful) splats an
// input for every multiply-add: 4 vectors x 2 pixels instead, the last
// channel tile shifted inward (Templates.cpp).
// WASM-LABEL: func.func @conv1x1_28
// WASM: pattern = conv1x1, vector_width = 4, channel_tile = 16, pixel_tile = 2,
func.func @conv1x1_28(%x: tensor<1x16x16x24xf32>, %w: tensor<28x1x1x24xf32>, %b: tensor<28xf32>) -> tensor<1x16x16x28xf32> {
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x16x16x24xf32>, tensor<28x1x1x24xf32>, tensor<28xf32>) -> tensor<1x16x16x28xf32> {
  ^bb0(%a: tensor<1x16x16x24xf32>, %c: tensor<28x1x1x24xf32>, %d: tensor<28xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x16x16x24xf32>, tensor<28x1x1x24xf32>, tensor<28xf32>) -> tensor<1x16x16x28xf32>
    kiln.yield %1 : tensor<1x16x16x28xf32>
  }
  return %0 : tensor<1x16x16x28xf32>
}

// A depthwise 3x3 over a large enough tensor (131072 outputs) runs rows in
// parallel (dim 1);
// depthwise tiles hold at most two vectors.
// AVX512-LABEL: func.func @depthwise
// AVX512: pattern = depthwise, vector_width = 16, channel_tile = 32,
// AVX512-SAME: parallel = [1],
// WASM SIMD: one vector by 2 pixels (V8's 16 registers), and parallel:
// 1.2M multiply-adds, an estimated 139 us on one thread.
// WASM-LABEL: func.func @depthwise
// WASM: pattern = depthwise, vector_width = 4, channel_tile = 4, pixel_tile = 2, row_tile = 1, unroll = 3, parallel = [1],
func.func @depthwise(%x: tensor<1x64x64x32xf32>, %w: tensor<3x3x32x1xf32>, %b: tensor<32xf32>) -> tensor<1x64x64x32xf32> {
  %0 = kiln.kernel "dw" (%x, %w, %b) : (tensor<1x64x64x32xf32>, tensor<3x3x32x1xf32>, tensor<32xf32>) -> tensor<1x64x64x32xf32> {
  ^bb0(%a: tensor<1x64x64x32xf32>, %c: tensor<3x3x32x1xf32>, %d: tensor<32xf32>):
    %1 = tosa.depthwise_conv2d %a, %c, %d {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x64x64x32xf32>, tensor<3x3x32x1xf32>, tensor<32xf32>) -> tensor<1x64x64x32xf32>
    kiln.yield %1 : tensor<1x64x64x32xf32>
  }
  return %0 : tensor<1x64x64x32xf32>
}

// FaceMesh's 96x96x16 elementwise kernels (147K elements): two threads on
// AVX-512 and in WASM, where they take 33 us, over the 20 us bar (a held
// worker joins at once: Templates.cpp).
// AVX512-LABEL: func.func @elementwise
// AVX512: pattern = generic, {{.*}} parallel = [1],
// WASM-LABEL: func.func @elementwise
// WASM: pattern = generic, {{.*}} parallel = [1],
func.func @elementwise(%x: tensor<1x96x96x16xf32>) -> tensor<1x96x96x16xf32> {
  %0 = kiln.kernel "mul" (%x) : (tensor<1x96x96x16xf32>) -> tensor<1x96x96x16xf32> {
  ^bb0(%a: tensor<1x96x96x16xf32>):
    %1 = tosa.add %a, %a : (tensor<1x96x96x16xf32>, tensor<1x96x96x16xf32>) -> tensor<1x96x96x16xf32>
    kiln.yield %1 : tensor<1x96x96x16xf32>
  }
  return %0 : tensor<1x96x96x16xf32>
}

// A quarter of that (37K elements, about 8 us in WASM) stays on one thread
// in WASM; natively it is over the 32K-element bar.
// AVX512-LABEL: func.func @elementwise_small
// AVX512: pattern = generic, {{.*}} parallel = [1],
// WASM-LABEL: func.func @elementwise_small
// WASM: pattern = generic, {{.*}} parallel = [],
func.func @elementwise_small(%x: tensor<1x48x48x16xf32>) -> tensor<1x48x48x16xf32> {
  %0 = kiln.kernel "mul" (%x) : (tensor<1x48x48x16xf32>) -> tensor<1x48x48x16xf32> {
  ^bb0(%a: tensor<1x48x48x16xf32>):
    %1 = tosa.add %a, %a : (tensor<1x48x48x16xf32>, tensor<1x48x48x16xf32>) -> tensor<1x48x48x16xf32>
    kiln.yield %1 : tensor<1x48x48x16xf32>
  }
  return %0 : tensor<1x48x48x16xf32>
}

// The WASM bar itself: elementwise at 4.5 elements per ns, 86,016 elements
// are an estimated 19.1 us (one thread) and 95,232 are 21.2 us (parallel).
// AVX512-LABEL: func.func @elementwise_under_bar
// AVX512: pattern = generic, {{.*}} parallel = [1],
// WASM-LABEL: func.func @elementwise_under_bar
// WASM: pattern = generic, {{.*}} parallel = [],
func.func @elementwise_under_bar(%x: tensor<1x64x84x16xf32>) -> tensor<1x64x84x16xf32> {
  %0 = kiln.kernel "mul" (%x) : (tensor<1x64x84x16xf32>) -> tensor<1x64x84x16xf32> {
  ^bb0(%a: tensor<1x64x84x16xf32>):
    %1 = tosa.add %a, %a : (tensor<1x64x84x16xf32>, tensor<1x64x84x16xf32>) -> tensor<1x64x84x16xf32>
    kiln.yield %1 : tensor<1x64x84x16xf32>
  }
  return %0 : tensor<1x64x84x16xf32>
}

// AVX512-LABEL: func.func @elementwise_over_bar
// AVX512: pattern = generic, {{.*}} parallel = [1],
// WASM-LABEL: func.func @elementwise_over_bar
// WASM: pattern = generic, {{.*}} parallel = [1],
func.func @elementwise_over_bar(%x: tensor<1x64x93x16xf32>) -> tensor<1x64x93x16xf32> {
  %0 = kiln.kernel "mul" (%x) : (tensor<1x64x93x16xf32>) -> tensor<1x64x93x16xf32> {
  ^bb0(%a: tensor<1x64x93x16xf32>):
    %1 = tosa.add %a, %a : (tensor<1x64x93x16xf32>, tensor<1x64x93x16xf32>) -> tensor<1x64x93x16xf32>
    kiln.yield %1 : tensor<1x64x93x16xf32>
  }
  return %0 : tensor<1x64x93x16xf32>
}

// Kernels without an anchor get the generic template; a record already
// there (from a tuning database) is kept.
// AVX512-LABEL: func.func @generic_and_kept
// AVX512: kiln.kernel "add"
// AVX512-SAME: pattern = generic,
// AVX512: kiln.kernel "tuned"
// AVX512-SAME: kiln.schedule = #kiln.schedule<version = 1, mode = li2018, pattern = generic, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>
func.func @generic_and_kept(%x: tensor<4x5xf32>) -> (tensor<4x5xf32>, tensor<4x5xf32>) {
  %0 = kiln.kernel "add" (%x) : (tensor<4x5xf32>) -> tensor<4x5xf32> {
  ^bb0(%a: tensor<4x5xf32>):
    %1 = tosa.add %a, %a : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
    kiln.yield %1 : tensor<4x5xf32>
  }
  %2 = kiln.kernel "tuned" (%x) : (tensor<4x5xf32>) -> tensor<4x5xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = li2018, pattern = generic, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>} {
  ^bb0(%a: tensor<4x5xf32>):
    %3 = tosa.exp %a : (tensor<4x5xf32>) -> tensor<4x5xf32>
    kiln.yield %3 : tensor<4x5xf32>
  }
  return %0, %2 : tensor<4x5xf32>, tensor<4x5xf32>
}

// BADTARGET: error: unknown target 'sparc-64-solaris'
// BADMODE: Cannot find option named 'auto:magic'

// A conv over 3 input channels (an RGB stem) has too short a reduction to
// hide its loads: the tile grows down the rows to fill the 24 accumulators
// AVX-512 allows and the reduction unrolls; AVX2's 12 leave one row. On
// AVX2 the tile leaves 2 of the 16 registers spare (3 x 4 spilled): 3 x 3.
// AVX512-LABEL: func.func @rgb_stem
// AVX512: pattern = conv, vector_width = 16, channel_tile = 16, pixel_tile = 8, row_tile = 3, unroll = 8,
// AVX2-LABEL: func.func @rgb_stem
// AVX2: pattern = conv, vector_width = 8, channel_tile = 24, pixel_tile = 3, row_tile = 1, unroll = 1,
func.func @rgb_stem(%x: tensor<1x17x17x3xf32>, %w: tensor<24x3x3x3xf32>, %b: tensor<24xf32>) -> tensor<1x8x8x24xf32> {
  %0 = kiln.kernel "stem" (%x, %w, %b) : (tensor<1x17x17x3xf32>, tensor<24x3x3x3xf32>, tensor<24xf32>) -> tensor<1x8x8x24xf32> {
  ^bb0(%a: tensor<1x17x17x3xf32>, %c: tensor<24x3x3x3xf32>, %d: tensor<24xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>} : (tensor<1x17x17x3xf32>, tensor<24x3x3x3xf32>, tensor<24xf32>) -> tensor<1x8x8x24xf32>
    kiln.yield %1 : tensor<1x8x8x24xf32>
  }
  return %0 : tensor<1x8x8x24xf32>
}

// WASM SIMD: a stem with a window 5 wide (BlazeFace's 5x5, 3 -> 24) takes
// one pixel by 3 rows (2 vectors x 1 x 3); a 3x3 one keeps 2 x 4 x 1.
// WASM-LABEL: func.func @rgb_stem
// WASM: pattern = conv, vector_width = 4, channel_tile = 8, pixel_tile = 4, row_tile = 1,
// WASM-LABEL: func.func @rgb_stem_5x5
// WASM: pattern = conv, vector_width = 4, channel_tile = 8, pixel_tile = 1, row_tile = 3,
func.func @rgb_stem_5x5(%x: tensor<1x35x35x3xf32>, %w: tensor<24x5x5x3xf32>, %b: tensor<24xf32>) -> tensor<1x16x16x24xf32> {
  %0 = kiln.kernel "stem" (%x, %w, %b) : (tensor<1x35x35x3xf32>, tensor<24x5x5x3xf32>, tensor<24xf32>) -> tensor<1x16x16x24xf32> {
  ^bb0(%a: tensor<1x35x35x3xf32>, %c: tensor<24x5x5x3xf32>, %d: tensor<24xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, dilation = array<i64: 1, 1>} : (tensor<1x35x35x3xf32>, tensor<24x5x5x3xf32>, tensor<24xf32>) -> tensor<1x16x16x24xf32>
    kiln.yield %1 : tensor<1x16x16x24xf32>
  }
  return %0 : tensor<1x16x16x24xf32>
}

// x86 below AVX-512, a matmul of one row whose weights outgrow L2 (a
// classifier, 1x1280 by 1280x1000: 5.1 MB): one tile of all 1000 channels,
// so that the reduction reads the weights in memory order. A small one
// (64 -> 40, 10 KB) and AVX-512 keep the template's tiles.
// AVX512-LABEL: func.func @classifier
// AVX512: pattern = matmul, vector_width = 16, channel_tile = 80,
// AVX2-LABEL: func.func @classifier
// AVX2: pattern = matmul, vector_width = 8, channel_tile = 1000, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = channel_major>
// AVX2-LABEL: func.func @small_matmul
// AVX2: pattern = matmul, vector_width = 8, channel_tile = 40, pixel_tile = 1,
func.func @classifier(%x: tensor<1x1x1280xf32>, %w: tensor<1x1280x1000xf32>) -> tensor<1x1x1000xf32> {
  %0 = kiln.kernel "fc" (%x, %w) : (tensor<1x1x1280xf32>, tensor<1x1280x1000xf32>) -> tensor<1x1x1000xf32> {
  ^bb0(%a: tensor<1x1x1280xf32>, %c: tensor<1x1280x1000xf32>):
    %1 = tosa.matmul %a, %c : (tensor<1x1x1280xf32>, tensor<1x1280x1000xf32>) -> tensor<1x1x1000xf32>
    kiln.yield %1 : tensor<1x1x1000xf32>
  }
  return %0 : tensor<1x1x1000xf32>
}

func.func @small_matmul(%x: tensor<1x1x64xf32>, %w: tensor<1x64x40xf32>) -> tensor<1x1x40xf32> {
  %0 = kiln.kernel "fc" (%x, %w) : (tensor<1x1x64xf32>, tensor<1x64x40xf32>) -> tensor<1x1x40xf32> {
  ^bb0(%a: tensor<1x1x64xf32>, %c: tensor<1x64x40xf32>):
    %1 = tosa.matmul %a, %c : (tensor<1x1x64xf32>, tensor<1x64x40xf32>) -> tensor<1x1x40xf32>
    kiln.yield %1 : tensor<1x1x40xf32>
  }
  return %0 : tensor<1x1x40xf32>
}
