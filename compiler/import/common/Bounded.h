//===- Bounded.h - outputs whose length depends on the data -------*- C++ -*-===//
//
// Kiln keeps every shape static, so an op whose output length depends on
// the data (NonZero, Compress, NonMaxSuppression, Unique) gets a tensor of
// its static upper bound and a run-time count. The one primitive is
// kiln.compact, a tosa.custom of Kiln's own: the slices of `data` along an
// axis whose mask element is non-zero, packed to the front, zeros after;
// and how many there are. codegen/halide/emit/Bounded.cpp emits it; the
// design (C API, WASM loader) is docs/BOUNDED.md.
//
// A bounded value may only be a model output or feed, through ops that
// work row by row, a followCount (a gather by bounded indices):
// finishBoundedResults marks it and appends its count as a result; any
// other use is a compile error naming the consumer (computing on the bound
// with a mask is not done in general).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_BOUNDED_H
#define KILN_COMPILER_IMPORT_COMMON_BOUNDED_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <utility>

namespace kiln::import {

/// tosa.custom's operator_name for the compaction (domain "kiln");
/// implementation_attrs is "axis=<n>".
inline constexpr llvm::StringLiteral kCompactOp = "kiln.compact";
/// Non-maximum suppression (ONNX's): operands (boxes [B, N, 4], scores
/// [B, C, N]), results (selection [B * C * K, 3] int64, count); bounded
/// along dimension 0. implementation_attrs "center=<0|1>;max=<K>;iou=<f>;
/// score=<f>" (floats as C hexadecimal).
inline constexpr llvm::StringLiteral kNmsOp = "kiln.nms";
/// Result attributes of @main: on a bounded output, the dimension whose
/// length is the run-time count; on the count (tensor<1xi64>, appended
/// after the model's outputs), the index of the output it counts.
inline constexpr llvm::StringLiteral kBoundedDimAttr = "kiln.bounded_dim";
inline constexpr llvm::StringLiteral kCountOfAttr = "kiln.count_of";

/// kiln.compact(data, mask) along `axis`: (packed data of data's shape, its
/// count as tensor<1xi64>). `mask` is rank 1 with at most data's extent
/// along `axis` elements; positions past its end are not selected (ONNX
/// Compress).
std::pair<mlir::Value, mlir::Value> compact(mlir::OpBuilder &b, mlir::Location loc,
                                            mlir::Value data, mlir::Value mask, int64_t axis);

/// Unique's outputs, both importers' (ONNX Unique, TF.js Unique and
/// UniqueV2): kiln.unique (codegen/halide/emit/Unique.cpp) over the n
/// slices of the input along the axis, the unique slices already in output
/// order, then one kiln.compact by the counts (non-zero exactly on the
/// unique slots) for each bounded output asked for. Those not asked for
/// stay null: a compaction nothing reads would still be compiled.
struct UniqueOutputs {
  mlir::Value values;  ///< the input's type, bounded along the axis
  mlir::Value indices; ///< int64 [n] bounded: each unique slice's first occurrence
  mlir::Value inverse; ///< int64 [n], static: each slice's slot among the unique
  mlir::Value counts;  ///< int64 [n] bounded: how often each occurs
};
enum UniqueWant : unsigned { kUniqueValues = 1, kUniqueIndices = 2, kUniqueCounts = 4 };
/// The emitter compares every pair of slices: beyond this many, an error.
constexpr int64_t kMaxUniqueSlices = 1 << 14;
/// `sorted`: ascending (ONNX's default) or in order of first occurrence
/// (ONNX sorted=0, TF). `name` is the input's as errors print it ("X");
/// an empty input or more than kMaxUniqueSlices slices is an error, for the
/// caller to prefix with its node.
llvm::Expected<UniqueOutputs> unique(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                                     int64_t axis, bool sorted, unsigned want,
                                     llvm::StringRef name);

/// Result 0 of a kiln.compact or kiln.nms: a value whose length along one
/// dimension is only known at run time.
bool isBounded(mlir::Value value);
/// The count (tensor<1xi64>) of a bounded value.
mlir::Value countOf(mlir::Value bounded);

/// Unit attribute on a kiln.compact made by followCount, and on the
/// tosa.select with which TF.js pads a bounded value back to a static length
/// (tfjs/ops/Count.cpp), which reads only the rows below the count:
/// finishBoundedResults accepts both.
inline constexpr llvm::StringLiteral kFollowsCountAttr = "kiln.follows_count";
/// `rows` as a bounded value with the count of the bounded value `source`,
/// where `rows` is computed row by row from it: row i along `axis` reads
/// only row i of `source` along its bounded dimension (a gather by bounded
/// indices). A kiln.compact of `rows` by i < count, marked
/// kFollowsCountAttr: rows past the count become zeros. The ops between
/// `source` and it are the one use of a bounded value besides the return
/// that finishBoundedResults accepts.
std::pair<mlir::Value, mlir::Value> followCount(mlir::OpBuilder &b, mlir::Location loc,
                                                mlir::Value rows, int64_t axis, mlir::Value source);
/// The axis of a kiln.compact op ("axis=<n>"), -1 if it cannot be read.
int64_t compactAxis(mlir::Operation *compactOp);

/// After @main's return and result names are in place: marks every returned
/// bounded value with kBoundedDimAttr and appends its count as a result named
/// "<name>:count" with kCountOfAttr. A bounded value that anything but the
/// return reads is an error naming that op (`describe`).
llvm::Error finishBoundedResults(mlir::func::FuncOp func,
                                 const std::function<std::string(mlir::Operation *)> &describe);

} // namespace kiln::import

#endif
