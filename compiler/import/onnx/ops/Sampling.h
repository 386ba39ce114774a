//===- Sampling.h - float index arithmetic for the sampling ops ---*- C++ -*-===//
//
// GridSample and RoiAlign read an image at positions computed at run time.
// Both are built from TOSA: the positions with elementwise float ops (so
// they fuse with the ops around them), the reads with tosa.gather on the
// image viewed as [N, H * W, C]. Index arithmetic stays in f32 (exact for
// integers below 2^24) and is cast to int32 only to gather.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_SAMPLING_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_SAMPLING_H

#include "mlir/IR/Builders.h"

namespace kiln::onnx_import {

/// Elementwise f32 arithmetic with broadcasting; `k` makes a constant of the
/// rank of `like`.
struct FloatMath {
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::Value k(mlir::Value like, double v);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value add(mlir::Value x, double y) { return add(x, k(x, y)); }
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, double y) { return mul(x, k(x, y)); }
  mlir::Value floor(mlir::Value x);
  mlir::Value min(mlir::Value x, mlir::Value y);
  mlir::Value max(mlir::Value x, mlir::Value y);
  mlir::Value clamp(mlir::Value x, double lo, double hi);
  mlir::Value less(mlir::Value x, double y);    // i1
  mlir::Value greater(mlir::Value x, double y); // i1
  mlir::Value both(mlir::Value p, mlir::Value q);
  mlir::Value either(mlir::Value p, mlir::Value q);
  mlir::Value select(mlir::Value p, mlir::Value x, mlir::Value y);
  /// 1.0 where `p` holds, else 0.0.
  mlir::Value mask(mlir::Value p);
  /// Round half to even (C's nearbyint).
  mlir::Value roundEven(mlir::Value x);
  /// Truncation toward zero.
  mlir::Value trunc(mlir::Value x);
  /// Mirrors `x` at lo and hi until it lies in [lo, hi] (PyTorch's and
  /// ONNX's reflection padding); hi > lo.
  mlir::Value reflect(mlir::Value x, double lo, double hi);
};

/// Reads `image` ([N, K, C]) at the row numbers `rows` (f32 holding integers
/// in [0, K), shape [N, M]): [N, M, C].
mlir::Value gatherRows(mlir::OpBuilder &b, mlir::Location loc, mlir::Value image, mlir::Value rows);

} // namespace kiln::onnx_import

#endif
