// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %S/Inputs/schedule_attr_invalid.mlir -split-input-file -verify-diagnostics

// The schedule record prints every knob in a fixed order, version first, and
// parses back to itself (the second RUN line prints what the first printed).

// CHECK-LABEL: func.func @records
// CHECK: kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = conv1x1, vector_width = 16, channel_tile = 48, pixel_tile = 8, row_tile = 1, unroll = 1, parallel = [1], compute_at = tile, order = pixel_major>
// CHECK: kiln.schedule = #kiln.schedule<version = 1, mode = adams2019, pattern = generic, vector_width = 4, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = channel_major>
// CHECK: kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = block, vector_width = 16, channel_tile = 32, pixel_tile = 7, row_tile = 8, unroll = 3, parallel = [1], compute_at = tile, order = pixel_major, stage_tiles = [16, 48, 8, 16, 32, 7]>
func.func @records(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.kernel "a" (%x) : (tensor<4xf32>) -> tensor<4xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = conv1x1, vector_width = 16, channel_tile = 48, pixel_tile = 8, row_tile = 1, unroll = 1, parallel = [1], compute_at = tile, order = pixel_major>} {
  ^bb0(%a: tensor<4xf32>):
    kiln.yield %a : tensor<4xf32>
  }
  // Fields may come in any order; they print in the canonical one.
  %1 = kiln.kernel "b" (%x) : (tensor<4xf32>) -> tensor<4xf32> attributes {kiln.schedule = #kiln.schedule<mode = adams2019, version = 1, pattern = generic, vector_width = 4, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], order = channel_major, compute_at = row>} {
  ^bb0(%a: tensor<4xf32>):
    kiln.yield %a : tensor<4xf32>
  }
  %2 = kiln.kernel "c" (%x) : (tensor<4xf32>) -> tensor<4xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = block, vector_width = 16, channel_tile = 32, pixel_tile = 7, row_tile = 8, unroll = 3, parallel = [1], compute_at = tile, order = pixel_major, stage_tiles = [16, 48, 8, 16, 32, 7]>} {
  ^bb0(%a: tensor<4xf32>):
    kiln.yield %a : tensor<4xf32>
  }
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
