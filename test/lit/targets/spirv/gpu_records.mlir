// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %S/Inputs/gpu_records_invalid.mlir -split-input-file -verify-diagnostics

// The GPU knobs of a schedule record (--target=spirv): a workgroup and the
// outputs per invocation, three numbers each, printed after the CPU knobs
// and parsed back.

// CHECK: kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major, workgroup = [32, 2, 1], invocation_tile = [1, 2, 1]>
func.func @records(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.kernel "a" (%x) : (tensor<4xf32>) -> tensor<4xf32> attributes {kiln.schedule = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major, invocation_tile = [1, 2, 1], workgroup = [32, 2, 1]>} {
  ^bb0(%a: tensor<4xf32>):
    kiln.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
