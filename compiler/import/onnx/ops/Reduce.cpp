//===- Reduce.cpp - ReduceMean, ReduceSum, ReduceMax, ReduceMin, ... ------===//
//
// TOSA reduces one axis at a time and keeps it (size 1): a chain of
// reductions, then a reshape when keepdims = 0. ReduceMean is a sum times
// 1/count. Axes are an attribute, except for ReduceSum since opset 13 (the
// other reductions move to an input at opset 18, past what Kiln takes).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

enum class Reduction { Sum, Mean, Max, Min, Prod };

template <Reduction kind> llvm::Error convertReduce(OpContext &op) {
  Value x = op.value(0);
  int64_t rank = typeOf(x).getRank();
  std::vector<int64_t> axes = op.attrInts("axes");
  bool axesFromInput = kind == Reduction::Sum && op.opset() >= 13;
  if (axesFromInput && op.hasInput(1)) {
    auto ints = op.constInts(1, "axes");
    if (!ints)
      return ints.takeError();
    axes = *ints;
  }
  if (axes.empty()) {
    if (axesFromInput && op.attrInt("noop_with_empty_axes", 0)) {
      op.setValue(0, x);
      return llvm::Error::success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &axis : axes) {
    auto normalized = op.normalizeAxis(axis, rank);
    if (!normalized)
      return normalized.takeError();
    axis = *normalized;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());

  Value y = x;
  int64_t count = 1;
  for (int64_t axis : axes) {
    count *= typeOf(x).getDimSize(axis);
    switch (kind) {
    case Reduction::Sum:
    case Reduction::Mean:
      y = reduce<tosa::ReduceSumOp>(op.builder(), op.loc(), y, axis);
      break;
    case Reduction::Max:
      y = reduce<tosa::ReduceMaxOp>(op.builder(), op.loc(), y, axis);
      break;
    case Reduction::Min:
      y = reduce<tosa::ReduceMinOp>(op.builder(), op.loc(), y, axis);
      break;
    case Reduction::Prod:
      y = reduce<tosa::ReduceProdOp>(op.builder(), op.loc(), y, axis);
      break;
    }
  }
  if (kind == Reduction::Mean) {
    if (!isa<FloatType>(typeOf(y).getElementType()))
      return op.fail("ReduceMean is only supported on floating-point tensors");
    y = mul(op.builder(), op.loc(), y, scalarLike(op.builder(), op.loc(), y, 1.0 / count));
  }
  if (!op.attrInt("keepdims", 1)) {
    llvm::SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(axes, d))
        shape.push_back(typeOf(x).getDimSize(d));
    y = reshape(op.builder(), op.loc(), y, shape);
  }
  op.setValue(0, y);
  return llvm::Error::success();
}

} // namespace

void registerReduceOps(OpTable &table) {
  table.add("ReduceSum", convertReduce<Reduction::Sum>);
  table.add("ReduceMean", convertReduce<Reduction::Mean>);
  table.add("ReduceMax", convertReduce<Reduction::Max>);
  table.add("ReduceMin", convertReduce<Reduction::Min>);
  table.add("ReduceProd", convertReduce<Reduction::Prod>);
}

} // namespace kiln::onnx_import
