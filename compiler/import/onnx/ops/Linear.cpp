//===- Linear.cpp - Gemm, MatMul and Det ----------------------------------===//
//
// Both become tosa.matmul, which is batched and rank 3: [B, M, K] x [B, K, N].
// Constant right-hand sides (weights) are transposed on the host; a 2-D right
// operand shared by every batch folds the batch into M instead of tiling.
//
// Det of matrices up to kMaxDet x kMaxDet: cofactor expansion along the
// first row, elementwise over the batch (n! products, so only small n).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Input `i` reshaped/transposed, on the host when it is known.
Value operand(OpContext &op, int i, llvm::ArrayRef<int64_t> perm, llvm::ArrayRef<int64_t> shape) {
  if (const Literal *lit = op.literal(i))
    return op.constant(lit->transposed(perm).reshaped(shape.vec()), op.inputName(i));
  return reshape(op.builder(), op.loc(), transpose(op.builder(), op.loc(), op.value(i), perm),
                 shape);
}

Value matmul(OpContext &op, Value a, Value b) {
  auto at = typeOf(a), bt = typeOf(b);
  return op.create<tosa::MatMulOp>(
      tensorOf({at.getDimSize(0), at.getDimSize(1), bt.getDimSize(2)}, at.getElementType()), a, b);
}

llvm::Error convertGemm(OpContext &op) {
  if (op.rank(0) != 2 || op.rank(1) != 2)
    return op.fail("Gemm needs 2-D A and B");
  bool transA = op.attrInt("transA", 0), transB = op.attrInt("transB", 0);
  llvm::ArrayRef<int64_t> as = op.shape(0), bs = op.shape(1);
  int64_t m = transA ? as[1] : as[0], k = transA ? as[0] : as[1];
  int64_t n = transB ? bs[0] : bs[1];
  if ((transB ? bs[1] : bs[0]) != k)
    return op.fail("A " + shapeString(as) + " and B " + shapeString(bs) + " do not multiply");
  if (op.hasInput(2))
    if (llvm::Error err = op.checkBroadcastsTo(2, {m, n}, "C"))
      return err;
  Value a = operand(op, 0, transA ? llvm::ArrayRef<int64_t>{1, 0} : llvm::ArrayRef<int64_t>{0, 1},
                    {1, m, k});
  Value b = operand(op, 1, transB ? llvm::ArrayRef<int64_t>{1, 0} : llvm::ArrayRef<int64_t>{0, 1},
                    {1, k, n});
  Value y = reshape(op.builder(), op.loc(), matmul(op, a, b), {m, n});
  double alpha = op.attrFloat("alpha", 1.0f), beta = op.attrFloat("beta", 1.0f);
  if (alpha != 1.0)
    y = mul(op.builder(), op.loc(), y, scalarLike(op.builder(), op.loc(), y, alpha));
  if (op.hasInput(2) && beta != 0.0) {
    Value c = op.value(2);
    if (beta != 1.0)
      c = mul(op.builder(), op.loc(), c, scalarLike(op.builder(), op.loc(), c, beta));
    y = binary<tosa::AddOp>(op.builder(), op.loc(), y, c);
  }
  op.setValue(0, y);
  return llvm::Error::success();
}

// Input `i` viewed as `asShape` (same elements), broadcast to `shape` (numpy
// rules), then viewed as `finalShape`: on the host for constants, with
// reshapes and tosa.tile otherwise.
Value broadcastOperand(OpContext &op, int i, llvm::ArrayRef<int64_t> asShape,
                       llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> finalShape) {
  if (const Literal *lit = op.literal(i))
    return op.constant(lit->reshaped(asShape.vec()).broadcastTo(shape).reshaped(finalShape.vec()),
                       op.inputName(i));
  Value v = expandRank(op.builder(), op.loc(),
                       reshape(op.builder(), op.loc(), op.value(i), asShape), shape.size());
  llvm::SmallVector<int64_t> multiples;
  bool tile = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t have = typeOf(v).getDimSize(d);
    multiples.push_back(have == shape[d] ? 1 : shape[d]);
    tile |= have != shape[d];
  }
  if (tile)
    v = op.create<tosa::TileOp>(tensorOf(shape, typeOf(v).getElementType()), v,
                                op.builder().getDenseI64ArrayAttr(multiples));
  return reshape(op.builder(), op.loc(), v, finalShape);
}

llvm::Error convertMatMul(OpContext &op) {
  llvm::SmallVector<int64_t> as(op.shape(0)), bs(op.shape(1));
  if (as.empty() || bs.empty())
    return op.fail("MatMul operands must have rank 1 or more");
  // 1-D operands gain a unit M (left) or N (right) that the result drops.
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    as.insert(as.begin(), 1);
  if (vecB)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return op.fail("shapes " + shapeString(op.shape(0)) + " and " + shapeString(op.shape(1)) +
                   " do not multiply");
  llvm::ArrayRef<int64_t> batchB = llvm::ArrayRef<int64_t>(bs).drop_back(2);
  auto batch = broadcastShapes(llvm::ArrayRef<int64_t>(as).drop_back(2), batchB);
  if (!batch)
    return op.fail(llvm::toString(batch.takeError()));
  int64_t batchSize = numElements(*batch);
  auto withBatch = [&](int64_t rows, int64_t cols) {
    llvm::SmallVector<int64_t> shape(batch->begin(), batch->end());
    shape.append({rows, cols});
    return shape;
  };

  Value a, b;
  if (numElements(batchB) == 1) {
    // One right-hand matrix for every batch: fold the batch into M.
    a = broadcastOperand(op, 0, as, withBatch(m, k), {1, batchSize * m, k});
    b = broadcastOperand(op, 1, bs, bs, {1, k, n});
  } else {
    a = broadcastOperand(op, 0, as, withBatch(m, k), {batchSize, m, k});
    b = broadcastOperand(op, 1, bs, withBatch(k, n), {batchSize, k, n});
  }
  llvm::SmallVector<int64_t> resultShape(batch->begin(), batch->end());
  if (!vecA)
    resultShape.push_back(m);
  if (!vecB)
    resultShape.push_back(n);
  op.setValue(0, reshape(op.builder(), op.loc(), matmul(op, a, b), resultShape));
  return llvm::Error::success();
}

} // namespace

constexpr int64_t kMaxDet = 4;

// The determinant of x [B, n, n] over the columns `cols` of the rows from
// `row` down, as [B, 1, 1].
Value cofactorDet(OpBuilder &b, Location loc, Value x, int64_t row,
                  llvm::SmallVector<int64_t> cols) {
  int64_t batch = typeOf(x).getDimSize(0);
  auto at = [&](int64_t r, int64_t c) { return slice(b, loc, x, {0, r, c}, {batch, 1, 1}); };
  if (cols.size() == 1)
    return at(row, cols[0]);
  Value sum;
  for (size_t j = 0; j < cols.size(); ++j) {
    llvm::SmallVector<int64_t> rest(cols);
    rest.erase(rest.begin() + j);
    Value term = mul(b, loc, at(row, cols[j]), cofactorDet(b, loc, x, row + 1, rest));
    if (!sum)
      sum = term;
    else
      sum = j % 2 ? binary<tosa::SubOp>(b, loc, sum, term) : binary<tosa::AddOp>(b, loc, sum, term);
  }
  return sum;
}

llvm::Error convertDet(OpContext &op) {
  int64_t rank = op.rank(0);
  if (!isa<FloatType>(op.elementType(0)))
    return op.fail("Det is only supported on floating-point tensors");
  if (rank < 2 || op.shape(0)[rank - 1] != op.shape(0)[rank - 2])
    return op.fail("X must be [..., n, n]");
  int64_t n = op.shape(0).back();
  if (n > kMaxDet)
    return op.fail("matrices of " + llvm::Twine(n) + " x " + llvm::Twine(n) +
                   " are not supported (cofactor expansion, up to " + llvm::Twine(kMaxDet) + ")");
  llvm::ArrayRef<int64_t> batchShape = op.shape(0).drop_back(2);
  int64_t batch = numElements(batchShape);
  Value x = reshape(op.builder(), op.loc(), op.value(0), {batch, n, n});
  llvm::SmallVector<int64_t> cols;
  for (int64_t c = 0; c < n; ++c)
    cols.push_back(c);
  Value det = cofactorDet(op.builder(), op.loc(), x, 0, cols);
  op.setValue(0, reshape(op.builder(), op.loc(), det, batchShape));
  return llvm::Error::success();
}

void registerLinearOps(OpTable &table) {
  table.add("Gemm", convertGemm);
  table.add("MatMul", convertMatMul);
  table.add("Det", convertDet);
}

} // namespace kiln::onnx_import
