//===- Reduce.cpp - Mean, Sum, Max, Min, Prod, All, Any, Softmax, ArgMax --===//
//
// TOSA reduces one axis at a time and keeps it (size 1); several axes are
// reduced in turn and keep_dims=false is a final reshape. Mean is a sum
// times 1/N. Softmax is the stable exp(x - max) / sum.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Bounded.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/FillPast.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "compiler/import/tfjs/ops/RowSource.h"

#include <limits>
#include <set>

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

enum class Reduction { Sum, Mean, Max, Min, Prod, All, Any, EuclideanNorm };

llvm::Error convertReduce(OpContext &node, Reduction kind) {
  auto axesValue = node.constInts(1, "reduction_indices");
  if (!axesValue)
    return axesValue.takeError();
  int64_t rank = node.rank(0);
  std::set<int64_t> axes;
  for (int64_t a : *axesValue) {
    auto axis = node.normalizeAxis(a, rank);
    if (!axis)
      return axis.takeError();
    axes.insert(*axis);
  }
  bool logical = kind == Reduction::All || kind == Reduction::Any;
  if ((node.dtype(0) == DType::Bool) != logical)
    return node.fail(logical ? "All and Any reduce bool tensors"
                             : "reductions of bool tensors are not supported");
  if (kind == Reduction::EuclideanNorm && node.dtype(0) != DType::F32)
    return node.fail("only float32 EuclideanNorm is supported");
  bool keepDims = node.attrs().getBool("keep_dims", false);
  Value v = node.value(0);
  // Along a bounded dimension (docs/BOUNDED.md, rows) the rows past the
  // run-time count are not TF.js's: they are set to the reduction's
  // identity first, by a select that reads only the counted rows.
  if (std::optional<Value> source = node.literal(0) ? std::nullopt : rowSource(v)) {
    int64_t axis = import::compactAxis(source->getDefiningOp());
    if (axes.count(axis)) {
      bool isFloat = node.dtype(0) == DType::F32;
      double identity;
      if (kind == Reduction::Sum)
        identity = 0;
      else if (kind == Reduction::Max)
        identity = isFloat ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<int32_t>::min();
      else if (kind == Reduction::Min)
        identity =
            isFloat ? std::numeric_limits<double>::infinity() : std::numeric_limits<int32_t>::max();
      else
        return node.fail("dimension " + llvm::Twine(axis) +
                         " has a run-time length (docs/BOUNDED.md): Kiln reduces along it with "
                         "Sum, Max and Min");
      v = fillPastLength(node, v, axis, import::countOf(*source), identity);
    }
  }
  if (kind == Reduction::EuclideanNorm) // sqrt of the sum of squares
    v = mul(node.builder(), node.loc(), v, v);
  int64_t count = 1;
  for (int64_t axis : axes) {
    count *= node.shape(0)[axis];
    switch (kind) {
    case Reduction::All:
      v = reduce<tosa::ReduceAllOp>(node.builder(), node.loc(), v, axis);
      break;
    case Reduction::Any:
      v = reduce<tosa::ReduceAnyOp>(node.builder(), node.loc(), v, axis);
      break;
    case Reduction::Sum:
    case Reduction::Mean:
    case Reduction::EuclideanNorm:
      v = reduce<tosa::ReduceSumOp>(node.builder(), node.loc(), v, axis);
      break;
    case Reduction::Max:
      v = reduce<tosa::ReduceMaxOp>(node.builder(), node.loc(), v, axis);
      break;
    case Reduction::Min:
      v = reduce<tosa::ReduceMinOp>(node.builder(), node.loc(), v, axis);
      break;
    case Reduction::Prod:
      v = reduce<tosa::ReduceProdOp>(node.builder(), node.loc(), v, axis);
      break;
    }
  }
  if (kind == Reduction::Mean && count > 1) {
    if (node.dtype(0) == DType::F32)
      v = mul(node.builder(), node.loc(), v,
              scalarLike(node.builder(), node.loc(), v, 1.0 / count));
    else // TF's integer mean truncates
      v = binary<tosa::IntDivOp>(node.builder(), node.loc(), v,
                                 scalarLike(node.builder(), node.loc(), v, count));
  }
  if (kind == Reduction::EuclideanNorm)
    v = binary<tosa::PowOp>(node.builder(), node.loc(), v,
                            scalarLike(node.builder(), node.loc(), v, 0.5));
  if (!keepDims) {
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      if (!axes.count(d))
        shape.push_back(node.shape(0)[d]);
    v = reshape(node.builder(), node.loc(), v, shape);
  }
  node.setValue(0, v);
  return llvm::Error::success();
}

template <Reduction Kind> llvm::Error convert(OpContext &node) { return convertReduce(node, Kind); }

llvm::Error convertSoftmax(OpContext &node) {
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 Softmax is supported");
  if (node.rank(0) < 1)
    return node.fail("Softmax needs at least one dimension");
  Value x = node.value(0);
  int64_t axis = node.rank(0) - 1;
  Value shifted =
      binary<tosa::SubOp>(node.builder(), node.loc(), x,
                          reduce<tosa::ReduceMaxOp>(node.builder(), node.loc(), x, axis));
  Value e = unary<tosa::ExpOp>(node.builder(), node.loc(), shifted);
  Value sum = reduce<tosa::ReduceSumOp>(node.builder(), node.loc(), e, axis);
  if (node.opType() == "LogSoftmax") // x - max - log(sum)
    node.setValue(0, binary<tosa::SubOp>(node.builder(), node.loc(), shifted,
                                         unary<tosa::LogOp>(node.builder(), node.loc(), sum)));
  else
    node.setValue(0, mul(node.builder(), node.loc(), e,
                         unary<tosa::ReciprocalOp>(node.builder(), node.loc(), sum)));
  return llvm::Error::success();
}

llvm::Error convertArgMax(OpContext &node) {
  auto axisValue = node.constInts(1, "dimension");
  if (!axisValue)
    return axisValue.takeError();
  if (axisValue->size() != 1)
    return node.fail("dimension must hold one value");
  auto axis = node.normalizeAxis((*axisValue)[0], node.rank(0));
  if (!axis)
    return axis.takeError();
  // output_type is int32 or int64 in TF; TF.js computes both as int32.
  if (node.attrs().getType("output_type").value_or(DType::I32) != DType::I32)
    return node.fail("output_type must be an integer type");
  Value x = node.value(0);
  if (node.opType() == "ArgMin") // the first minimum of x is the first maximum of -x
    x = unary<tosa::NegateOp>(node.builder(), node.loc(), x);
  std::vector<int64_t> shape(node.shape(0).begin(), node.shape(0).end());
  shape.erase(shape.begin() + *axis);
  auto i32 = node.builder().getI32Type();
  Value index =
      node.create<tosa::ArgMaxOp>(tensorOf(shape, i32), x, node.builder().getI32IntegerAttr(*axis));
  node.setValue(0, index);
  return llvm::Error::success();
}

} // namespace

void registerReduceOps(OpTable &table) {
  table.add("Sum", convert<Reduction::Sum>, 2, 2);
  table.add("Mean", convert<Reduction::Mean>, 2, 2);
  table.add("Max", convert<Reduction::Max>, 2, 2);
  table.add("Min", convert<Reduction::Min>, 2, 2);
  table.add("Prod", convert<Reduction::Prod>, 2, 2);
  table.add("All", convert<Reduction::All>, 2, 2);
  table.add("Any", convert<Reduction::Any>, 2, 2);
  table.add("EuclideanNorm", convert<Reduction::EuclideanNorm>, 2, 2);
  table.add("Softmax", convertSoftmax, 1, 1);
  table.add("LogSoftmax", convertSoftmax, 1, 1);
  table.add("ArgMax", convertArgMax, 2, 2);
  table.add("ArgMin", convertArgMax, 2, 2);
}

} // namespace kiln::tfjs_import
