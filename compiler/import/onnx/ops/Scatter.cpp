//===- Scatter.cpp - GatherND, ScatterND, ScatterElements, Scatter --------===//
//
// GatherND views the data as [batch, rows, row size] and each index tuple
// as a row number (ops/Indexing.h), so it is one tosa.gather.
//
// The scatters are written as gathers over the updates, so every output
// element is a pure function of the inputs and fuses like any elementwise
// op: for each data row, compare its row number with every update's
// (match [N, K, W]), pick or combine the matching updates with the
// reduction's identity elsewhere (select, then reduce over W), and keep the
// data where nothing matched. reduction = add, mul, max, min combine with
// the data; none takes the update (ONNX leaves duplicate indices undefined
// there; Kiln sums them). This costs K x W x C compares, so it is meant for
// the small index sets models scatter with (positions, masks); larger ones
// are refused with their size rather than compiled into something slow.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/Indexing.h"
#include "compiler/import/onnx/ops/OpTable.h"

#include <limits>
#include <numeric>

using namespace mlir;

namespace kiln::onnx_import {

Value tupleOffsets(OpBuilder &b, Location loc, Value indices, llvm::ArrayRef<int64_t> dims) {
  llvm::SmallVector<int64_t> iShape(typeOf(indices).getShape());
  int64_t rank = iShape.size(), k = dims.size();
  std::vector<int64_t> strides = rowMajorStrides(dims);
  Type i32 = b.getI32Type(), i1 = b.getI1Type();
  Value idx = castElements(b, loc, indices, i32);
  llvm::SmallVector<int64_t> start(rank, 0), size(iShape);
  size.back() = 1;
  Value flat;
  for (int64_t j = 0; j < k; ++j) {
    start.back() = j;
    Value part = slice(b, loc, idx, start, size);
    Value negative = binary<tosa::GreaterOp>(b, loc, scalarLike(b, loc, part, 0.0), part, i1);
    part = select(b, loc, negative,
                  binary<tosa::AddOp>(b, loc, part, scalarLike(b, loc, part, dims[j])), part);
    part = mul(b, loc, part, scalarLike(b, loc, part, strides[j]));
    flat = flat ? binary<tosa::AddOp>(b, loc, flat, part) : part;
  }
  return reshape(b, loc, flat, llvm::ArrayRef<int64_t>(iShape).drop_back());
}

namespace {

constexpr int64_t kMaxScatterCompares = int64_t(1) << 24;

llvm::Error checkRows(OpContext &op, int64_t rows) {
  if (rows > std::numeric_limits<int32_t>::max())
    return op.fail("the data has more rows than int32 indices reach");
  return llvm::Error::success();
}

// The index tuple length k and the row view of GatherND/ScatterND's data.
llvm::Expected<int64_t> tupleLength(OpContext &op, int64_t batchDims) {
  int64_t r = op.rank(0), q = op.rank(1);
  if (q < 1)
    return op.fail("indices must have rank 1 or more");
  int64_t k = op.shape(1).back();
  if (batchDims < 0 || batchDims >= std::min(r, q))
    return op.fail("batch_dims must be less than the ranks of data and indices");
  if (k < 1 || k > r - batchDims)
    return op.fail("the last dimension of indices (" + llvm::Twine(k) +
                   ") must be from 1 to the data's rank after batch_dims (" +
                   llvm::Twine(r - batchDims) + ")");
  for (int64_t d = 0; d < batchDims; ++d)
    if (op.shape(0)[d] != op.shape(1)[d])
      return op.fail("the batch dimensions of data and indices differ");
  return k;
}

llvm::Error convertGatherND(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  int64_t batchDims = op.attrInt("batch_dims", 0);
  auto k = tupleLength(op, batchDims);
  if (!k)
    return k.takeError();
  llvm::ArrayRef<int64_t> dShape = op.shape(0), iShape = op.shape(1);
  int64_t batch = numElements(dShape.take_front(batchDims));
  llvm::ArrayRef<int64_t> addressed = dShape.slice(batchDims, *k);
  int64_t rows = numElements(addressed), rowSize = numElements(dShape.drop_front(batchDims + *k));
  if (auto err = checkRows(op, rows))
    return err;
  int64_t width = numElements(iShape.slice(batchDims, iShape.size() - batchDims - 1));
  Value flat = reshape(b, loc, tupleOffsets(b, loc, op.value(1), addressed), {batch, width});
  Type element = op.elementType(0);
  Value values = reshape(b, loc, op.value(0), {batch, rows, rowSize});
  Value gathered =
      op.create<tosa::GatherOp>(tensorOf({batch, width, rowSize}, element), values, flat);
  llvm::SmallVector<int64_t> outShape(iShape.drop_back());
  outShape.append(dShape.begin() + batchDims + *k, dShape.end());
  op.setValue(0, reshape(b, loc, gathered, outShape));
  return llvm::Error::success();
}

enum class Reduction { None, Add, Mul, Max, Min };

llvm::Expected<Reduction> readReduction(OpContext &op) {
  std::string r = op.attrString("reduction", "none");
  if (r == "none")
    return Reduction::None;
  if (r == "add")
    return Reduction::Add;
  if (r == "mul")
    return Reduction::Mul;
  if (r == "max" || r == "min") {
    Type t = op.elementType(0);
    if (!isa<FloatType>(t) && t.getIntOrFloatBitWidth() > 32)
      return op.fail("reduction '" + r + "' is supported on floats and integers of up to 32 bits");
    return r == "max" ? Reduction::Max : Reduction::Min;
  }
  return op.fail("unknown reduction '" + r + "' (none, add, mul, max, min)");
}

// The identity of `r` for element type `t` (no update for this element).
double identity(Reduction r, Type t) {
  if (r == Reduction::Mul)
    return 1;
  if (r != Reduction::Max && r != Reduction::Min)
    return 0;
  bool max = r == Reduction::Max;
  if (isa<FloatType>(t))
    return max ? -INFINITY : INFINITY;
  unsigned bits = t.getIntOrFloatBitWidth();
  if (t.isUnsignedInteger())
    return max ? 0 : std::ldexp(1.0, bits) - 1;
  return max ? -std::ldexp(1.0, bits - 1) : std::ldexp(1.0, bits - 1) - 1;
}

// data [K, C] (as rows), flat [W] row numbers, updates [W, C]: the scatter
// as compare, select, reduce (see the file comment). Returns [K, C].
Value scatterRows(OpBuilder &b, Location loc, Value data, Value flat, Value updates, Reduction r) {
  int64_t rows = typeOf(data).getDimSize(0), rowSize = typeOf(data).getDimSize(1);
  int64_t width = typeOf(flat).getDimSize(0);
  Type i32 = b.getI32Type(), i1 = b.getI1Type(), element = typeOf(data).getElementType();
  std::vector<int64_t> rowIds(rows);
  std::iota(rowIds.begin(), rowIds.end(), 0);
  Value match = binary<tosa::EqualOp>(b, loc, intConstant(b, loc, rowIds, {rows, 1}, i32),
                                      reshape(b, loc, flat, {1, width}), i1); // [K, W]
  Value picked = select(b, loc, reshape(b, loc, match, {rows, width, 1}),
                        reshape(b, loc, updates, {1, width, rowSize}),
                        splatConstant(b, loc, element, identity(r, element), {1, 1, 1}));
  Value combined;
  switch (r) {
  case Reduction::None:
  case Reduction::Add:
    combined = reduce<tosa::ReduceSumOp>(b, loc, picked, 1);
    break;
  case Reduction::Mul:
    combined = reduce<tosa::ReduceProdOp>(b, loc, picked, 1);
    break;
  case Reduction::Max:
    combined = reduce<tosa::ReduceMaxOp>(b, loc, picked, 1);
    break;
  case Reduction::Min:
    combined = reduce<tosa::ReduceMinOp>(b, loc, picked, 1);
    break;
  }
  combined = reshape(b, loc, combined, {rows, rowSize});
  switch (r) {
  case Reduction::None: {
    Value any = reshape(b, loc, reduce<tosa::ReduceAnyOp>(b, loc, match, 1), {rows, 1});
    return select(b, loc, any, combined, data);
  }
  case Reduction::Add:
    return binary<tosa::AddOp>(b, loc, data, combined);
  case Reduction::Mul:
    return mul(b, loc, data, combined);
  case Reduction::Max:
    return binary<tosa::MaximumOp>(b, loc, data, combined);
  case Reduction::Min:
    return binary<tosa::MinimumOp>(b, loc, data, combined);
  }
  return data;
}

llvm::Error checkCompares(OpContext &op, int64_t rows, int64_t width, int64_t rowSize) {
  double compares = double(rows) * double(width) * double(rowSize);
  if (compares > double(kMaxScatterCompares))
    return op.fail("scattering " + llvm::Twine(width) + " updates into " + llvm::Twine(rows) +
                   " rows of " + llvm::Twine(rowSize) + " compares every update with every row (" +
                   llvm::Twine(int64_t(compares)) + " elements); more than 2^24 is not supported");
  return llvm::Error::success();
}

llvm::Error convertScatterND(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  auto k = tupleLength(op, 0);
  if (!k)
    return k.takeError();
  auto r = readReduction(op);
  if (!r)
    return r.takeError();
  llvm::ArrayRef<int64_t> dShape = op.shape(0), iShape = op.shape(1);
  llvm::SmallVector<int64_t> updShape(iShape.drop_back());
  updShape.append(dShape.begin() + *k, dShape.end());
  if (op.shape(2) != llvm::ArrayRef<int64_t>(updShape))
    return op.fail("updates must have shape indices.shape[:-1] + data.shape[k:]");
  int64_t rows = numElements(dShape.take_front(*k)), rowSize = numElements(dShape.drop_front(*k));
  int64_t width = numElements(iShape.drop_back());
  if (auto err = checkRows(op, rows))
    return err;
  if (auto err = checkCompares(op, rows, width, rowSize))
    return err;
  Value flat = reshape(b, loc, tupleOffsets(b, loc, op.value(1), dShape.take_front(*k)), {width});
  Value out = scatterRows(b, loc, reshape(b, loc, op.value(0), {rows, rowSize}), flat,
                          reshape(b, loc, op.value(2), {width, rowSize}), *r);
  op.setValue(0, reshape(b, loc, out, dShape));
  return llvm::Error::success();
}

// ScatterElements, and Scatter (its deprecated name, without reduction).
llvm::Error convertScatterElements(OpContext &op) {
  OpBuilder &b = op.builder();
  Location loc = op.loc();
  if (op.rank(0) != op.rank(1) || op.shape(1) != op.shape(2))
    return op.fail("data and indices must have the same rank, and updates indices' shape");
  auto axis = op.normalizeAxis(op.attrInt("axis", 0), op.rank(0));
  if (!axis)
    return axis.takeError();
  auto r = readReduction(op);
  if (!r)
    return r.takeError();
  if (auto err = checkIndicesWithinData(op, 0, 1, *axis))
    return err;
  llvm::ArrayRef<int64_t> dShape = op.shape(0);
  int64_t total = numElements(dShape), count = numElements(op.shape(1));
  if (auto err = checkRows(op, total))
    return err;
  if (auto err = checkCompares(op, total, count, 1))
    return err;
  Value flat = reshape(b, loc, elementOffsets(b, loc, op.value(1), dShape, *axis), {count});
  Value out = scatterRows(b, loc, reshape(b, loc, op.value(0), {total, 1}), flat,
                          reshape(b, loc, op.value(2), {count, 1}), *r);
  op.setValue(0, reshape(b, loc, out, dShape));
  return llvm::Error::success();
}

} // namespace

void registerScatterOps(OpTable &table) {
  table.add("GatherND", convertGatherND);
  table.add("ScatterND", convertScatterND);
  table.add("ScatterElements", convertScatterElements);
  table.add("Scatter", convertScatterElements);
}

} // namespace kiln::onnx_import
