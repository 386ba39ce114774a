//===- Scan.h - cumulative sums and products along an axis --------*- C++ -*-===//
//
// ONNX CumSum and TF.js Cumsum/Cumprod share this lowering: a running sum (or
// product) over the slices along the axis, then one concat. The running order
// is the references' own (numpy's cumsum, TF.js's cpu backend), so float sums
// round as theirs do, and the ops fuse as elementwise ops. It costs one slice
// and one add per element of the axis, so axes are capped at kMaxScan.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_SCAN_H
#define KILN_COMPILER_IMPORT_COMMON_SCAN_H

#include "mlir/IR/Builders.h"
#include "llvm/Support/Error.h"

namespace kiln::import {

/// The longest axis a cumulative op scans (one slice and one op each).
constexpr int64_t kMaxScan = 512;

struct CumulativeOptions {
  bool product = false;   // Cumprod; else a sum
  bool exclusive = false; // element i holds the result over the elements before i
  bool reverse = false;   // scan from the end of the axis
};

/// The cumulative sum or product of `x` along `axis` (in [0, rank)); an
/// error when the axis is longer than kMaxScan or `x` is bool.
llvm::Expected<mlir::Value> cumulative(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                                       int64_t axis, CumulativeOptions options);

} // namespace kiln::import

#endif
