// RUN: kiln-opt %s --kiln-assign-schedules="target=arm-64-linux" | FileCheck %s --check-prefix=NEON
// RUN: kiln-opt %s --kiln-assign-schedules="target=arm-64-ios-arm_dot_prod-arm_fp16" | FileCheck %s --check-prefix=NEON
// RUN: kiln-opt %s --kiln-assign-schedules="target=x86-64-linux-sse41" | FileCheck %s --check-prefix=SSE

// NEON and SSE4.1 both have 4 f32 lanes, but arm64 has 32 vector registers
// to x86's 16: the register tile holds 24 accumulators (3 vectors of
// channels x 8 pixels) instead of 12 (3 x 4). codegen/schedule/Templates.cpp
// has the instruction counts behind the choice.
// NEON-LABEL: func.func @conv1x1
// NEON: pattern = conv1x1, vector_width = 4, channel_tile = 12, pixel_tile = 8,
// SSE-LABEL: func.func @conv1x1
// SSE: pattern = conv1x1, vector_width = 4, channel_tile = 12, pixel_tile = 4,
func.func @conv1x1(%x: tensor<1x8x8x16xf32>, %w: tensor<48x1x1x16xf32>, %b: tensor<48xf32>) -> tensor<1x8x8x48xf32> {
  %0 = kiln.kernel "conv" (%x, %w, %b) : (tensor<1x8x8x16xf32>, tensor<48x1x1x16xf32>, tensor<48xf32>) -> tensor<1x8x8x48xf32> {
  ^bb0(%a: tensor<1x8x8x16xf32>, %c: tensor<48x1x1x16xf32>, %d: tensor<48xf32>):
    %1 = tosa.conv2d %a, %c, %d {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x16xf32>, tensor<48x1x1x16xf32>, tensor<48xf32>) -> tensor<1x8x8x48xf32>
    kiln.yield %1 : tensor<1x8x8x48xf32>
  }
  return %0 : tensor<1x8x8x48xf32>
}
