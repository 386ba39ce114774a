//===- Masks.cpp - Trilu, Hardmax, OneHot, EyeLike -----------------------===//
//
// Ops whose output is a selection by position: a constant index grid (an
// iota along one axis, or a [rows, cols] triangle) compared with the data or
// with an argmax, then a tosa.select. The grids are small constants that
// broadcast, so each op stays elementwise and fuses.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <numeric>

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// 0, 1, ..., extent - 1 along `axis` of a rank-`rank` tensor of ones.
Value iota(OpBuilder &b, Location loc, int64_t rank, int64_t axis, int64_t extent, Type type) {
  llvm::SmallVector<int64_t> shape(rank, 1), values(extent);
  shape[axis] = extent;
  std::iota(values.begin(), values.end(), 0);
  return intConstant(b, loc, values, shape, type);
}

// Trilu: keep x[..., i, j] where j - i >= k (upper) or j - i <= k (lower).
llvm::Error convertTrilu(OpContext &op) {
  int64_t rank = op.rank(0);
  if (rank < 2)
    return op.fail("Trilu needs a tensor of rank 2 or more");
  int64_t k = 0;
  if (op.hasInput(1)) {
    auto ks = op.constInts(1, "k");
    if (!ks)
      return ks.takeError();
    if (ks->size() != 1)
      return op.fail("k must hold one value");
    k = (*ks)[0];
  }
  bool upper = op.attrInt("upper", 1);
  int64_t rows = op.shape(0)[rank - 2], cols = op.shape(0)[rank - 1];
  llvm::SmallVector<int64_t> shape(rank, 1), mask;
  shape[rank - 2] = rows;
  shape[rank - 1] = cols;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.push_back(upper ? j - i >= k : j - i <= k);
  Value x = op.value(0);
  // An all-false mask: zeros of x's shape (TOSA's select folder would
  // return its 1x1 operand as is).
  if (llvm::none_of(mask, [](int64_t m) { return m != 0; })) {
    op.setValue(0, splatConstant(op.builder(), op.loc(), typeOf(x).getElementType(), 0.0,
                                 typeOf(x).getShape()));
    return llvm::Error::success();
  }
  Value keep = intConstant(op.builder(), op.loc(), mask, shape, op.builder().getI1Type());
  op.setValue(0, select(op.builder(), op.loc(), keep, x, scalarLike(op.builder(), op.loc(), x, 0)));
  return llvm::Error::success();
}

// Hardmax: 1 at the first maximum along `axis`, 0 elsewhere.
llvm::Error convertHardmax(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  Value x = op.value(0);
  int64_t rank = op.rank(0);
  if (op.opset() < 13)
    return op.fail("Hardmax before opset 13 (over flattened axes) is not supported");
  auto axis = op.normalizeAxis(op.attrInt("axis", -1), rank);
  if (!axis)
    return axis.takeError();
  llvm::SmallVector<int64_t> shape(op.shape(0));
  int64_t extent = shape[*axis];
  shape.erase(shape.begin() + *axis);
  Type i32 = b.getI32Type();
  Value index = b.create<tosa::ArgMaxOp>(loc, tensorOf(shape, i32), x, b.getI32IntegerAttr(*axis))
                    .getResult();
  shape.insert(shape.begin() + *axis, 1);
  index = reshape(b, loc, index, shape);
  Value hit =
      binary<tosa::EqualOp>(b, loc, iota(b, loc, rank, *axis, extent, i32), index, b.getI1Type());
  op.setValue(0, select(b, loc, hit, scalarLike(b, loc, x, 1.0), scalarLike(b, loc, x, 0.0)));
  return llvm::Error::success();
}

// OneHot(indices, depth, values = [off, on]): a new axis of size depth;
// negative indices count from the end, others out of range are all off.
llvm::Error convertOneHot(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  const Literal *depthLit = op.literal(1);
  if (!depthLit || depthLit->size() != 1)
    return op.fail("depth must be a constant scalar");
  int64_t depth = static_cast<int64_t>(depthLit->doubleAt(0));
  if (depth <= 0)
    return op.fail("depth must be positive");
  if (op.rank(2) != 1 || op.shape(2)[0] != 2)
    return op.fail("values must hold two entries, [off, on]");
  int64_t rank = op.rank(0) + 1;
  auto axis = op.normalizeAxis(op.attrInt("axis", -1), rank);
  if (!axis)
    return axis.takeError();
  Type i32 = b.getI32Type(), i1 = b.getI1Type();
  Value idx = castElements(b, loc, op.value(0), i32);
  Value negative = binary<tosa::GreaterOp>(b, loc, scalarLike(b, loc, idx, 0.0), idx, i1);
  idx = select(b, loc, negative, binary<tosa::AddOp>(b, loc, idx, scalarLike(b, loc, idx, depth)),
               idx);
  llvm::SmallVector<int64_t> shape(op.shape(0));
  shape.insert(shape.begin() + *axis, 1);
  idx = reshape(b, loc, idx, shape);
  Value hit = binary<tosa::EqualOp>(b, loc, iota(b, loc, rank, *axis, depth, i32), idx, i1);
  Value values = op.value(2);
  llvm::SmallVector<int64_t> one(rank, 1);
  Value off = reshape(b, loc, slice(b, loc, values, {0}, {1}), one);
  Value on = reshape(b, loc, slice(b, loc, values, {1}, {1}), one);
  op.setValue(0, select(b, loc, hit, on, off));
  return llvm::Error::success();
}

// EyeLike: ones on diagonal k of a 2-D tensor, in `dtype` or the input's.
llvm::Error convertEyeLike(OpContext &op) {
  if (op.rank(0) != 2)
    return op.fail("EyeLike takes a 2-D tensor");
  int32_t dtype = op.hasAttr("dtype") ? static_cast<int32_t>(op.attrInt("dtype", 1))
                                      : dtypeFor(op.elementType(0));
  if (dtypeSize(dtype) == 0)
    return op.fail("dtype " + dtypeName(dtype) + " is not supported");
  int64_t k = op.attrInt("k", 0), rows = op.shape(0)[0], cols = op.shape(0)[1];
  std::vector<int64_t> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(j - i == k);
  op.setLiteral(0, Literal::fromInts(dtype, {rows, cols}, values));
  return llvm::Error::success();
}

} // namespace

void registerMaskOps(OpTable &table) {
  table.add("Trilu", convertTrilu);
  table.add("Hardmax", convertHardmax);
  table.add("OneHot", convertOneHot);
  table.add("EyeLike", convertEyeLike);
}

} // namespace kiln::onnx_import
