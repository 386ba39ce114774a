//===- Einsum.cpp - BatchMatMul, BatchMatMulV2 and Einsum -----------------===//
//
// Both become one batched tosa.matmul ([B, M, K] x [B, K, N]) between
// transposes and reshapes. BatchMatMulV2 broadcasts the batch dimensions
// (tiling the smaller operand). Einsum is the lowering ONNX's Einsum uses too
// (compiler/import/common/Einsum.h); TF.js itself takes one or two operands
// without ellipses or repeated labels.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Einsum.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// [batch..., M, K] x [batch..., K, N] with equal batch dimensions.
Value batchedMatMul(OpContext &node, Value a, Value b) {
  llvm::ArrayRef<int64_t> as = typeOf(a).getShape(), bs = typeOf(b).getShape();
  int64_t rank = as.size(), m = as[rank - 2], k = as[rank - 1], n = bs[rank - 1];
  std::vector<int64_t> outShape(as.begin(), as.end());
  outShape.back() = n;
  int64_t batch = numElements(as.drop_back(2));
  OpBuilder &bld = node.builder();
  Value out = node.create<tosa::MatMulOp>(tensorOf({batch, m, n}, bld.getF32Type()),
                                          reshape(bld, node.loc(), a, {batch, m, k}),
                                          reshape(bld, node.loc(), b, {batch, k, n}));
  return reshape(bld, node.loc(), out, outShape);
}

// `v` tiled up to `shape` (same rank, each dimension equal or 1).
Value broadcastTo(OpContext &node, Value v, llvm::ArrayRef<int64_t> shape) {
  llvm::ArrayRef<int64_t> have = typeOf(v).getShape();
  if (have == shape)
    return v;
  std::vector<int64_t> multiples;
  for (size_t d = 0; d < shape.size(); ++d)
    multiples.push_back(shape[d] / have[d]);
  return node.create<tosa::TileOp>(tensorOf(shape, typeOf(v).getElementType()), v,
                                   node.builder().getDenseI64ArrayAttr(multiples));
}

std::vector<int64_t> swapLast(int64_t rank) {
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

llvm::Error convertBatchMatMul(OpContext &node) {
  if (node.dtype(0) != DType::F32 || node.dtype(1) != DType::F32)
    return node.fail("only float32 BatchMatMul is supported");
  if (node.rank(0) < 2 || node.rank(1) < 2)
    return node.fail("operands " + shapeString(node.shape(0)) + " and " +
                     shapeString(node.shape(1)) + " need at least 2 dimensions");
  int64_t rank = std::max(node.rank(0), node.rank(1));
  Value a = expandRank(node.builder(), node.loc(), node.valueWithRank(0, rank), rank);
  Value b = expandRank(node.builder(), node.loc(), node.valueWithRank(1, rank), rank);
  // TF's adj_x/adj_y and the V1 names.
  if (node.attrs().getBool("adj_x", false))
    a = transpose(node.builder(), node.loc(), a, swapLast(rank));
  if (node.attrs().getBool("adj_y", false))
    b = transpose(node.builder(), node.loc(), b, swapLast(rank));
  llvm::ArrayRef<int64_t> as = typeOf(a).getShape(), bs = typeOf(b).getShape();
  if (as[rank - 1] != bs[rank - 2])
    return node.fail("inner dimensions differ: " + shapeString(as) + " x " + shapeString(bs));
  auto batch = broadcastShapes(as.drop_back(2), bs.drop_back(2));
  if (!batch)
    return node.fail(llvm::toString(batch.takeError()));
  std::vector<int64_t> aShape(*batch), bShape(*batch);
  aShape.insert(aShape.end(), as.end() - 2, as.end());
  bShape.insert(bShape.end(), bs.end() - 2, bs.end());
  node.setValue(0, batchedMatMul(node, broadcastTo(node, a, aShape), broadcastTo(node, b, bShape)));
  return llvm::Error::success();
}

llvm::Error convertEinsum(OpContext &node) {
  std::vector<Value> operands;
  for (int i = 0; i < node.numInputs(); ++i)
    operands.push_back(node.value(i));
  auto y =
      import::einsum(node.builder(), node.loc(), node.attrs().getString("equation", ""), operands);
  if (!y)
    return node.fail(llvm::toString(y.takeError()));
  node.setValue(0, *y);
  return llvm::Error::success();
}

} // namespace

void registerEinsumOps(OpTable &table) {
  table.add("BatchMatMul", convertBatchMatMul, 2, 2);
  table.add("BatchMatMulV2", convertBatchMatMul, 2, 2);
  table.add("Einsum", convertEinsum, 1, 2);
}

} // namespace kiln::tfjs_import
