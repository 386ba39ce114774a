//===- Einsum.cpp - BatchMatMul, BatchMatMulV2 and Einsum -----------------===//
//
// Both become one batched tosa.matmul ([B, M, K] x [B, K, N]) between
// transposes and reshapes. BatchMatMulV2 broadcasts the batch dimensions
// (tiling the smaller operand). Einsum takes one or two operands without
// ellipses or repeated labels: labels in one operand only that the output
// lacks are summed first; then shared labels in the output are the batch,
// shared labels not in it are contracted, and the rest are M and N.
//
//===----------------------------------------------------------------------===//
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

// The operand with every label not in `keep` summed away; `labels` follows.
Value sumAway(OpContext &node, Value v, std::string &labels, llvm::StringRef keep) {
  std::string kept;
  std::vector<int64_t> shape;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (keep.contains(labels[i])) {
      kept += labels[i];
      shape.push_back(typeOf(v).getShape()[i]);
    } else {
      v = reduce<tosa::ReduceSumOp>(node.builder(), node.loc(), v, i);
    }
  }
  labels = kept;
  return reshape(node.builder(), node.loc(), v, shape);
}

// Transposes `v` (labelled `labels`) to the order of `order`.
Value permute(OpContext &node, Value v, llvm::StringRef labels, llvm::StringRef order) {
  std::vector<int64_t> perm;
  for (char c : order)
    perm.push_back(labels.find(c));
  return transpose(node.builder(), node.loc(), v, perm);
}

llvm::Error convertEinsum(OpContext &node) {
  std::string equation = node.attrs().getString("equation", "");
  equation.erase(std::remove(equation.begin(), equation.end(), ' '), equation.end());
  auto arrow = equation.find("->");
  if (arrow == std::string::npos)
    return node.fail("equation '" + equation +
                     "' has no '->' (implicit outputs are not supported)");
  if (equation.find("...") != std::string::npos)
    return node.fail("equation '" + equation + "': ellipses are not supported");
  llvm::SmallVector<llvm::StringRef> inputs;
  llvm::StringRef(equation).substr(0, arrow).split(inputs, ',');
  std::string out = equation.substr(arrow + 2);
  if (static_cast<int>(inputs.size()) != node.numInputs() || inputs.size() > 2)
    return node.fail("equation '" + equation + "' for " + llvm::Twine(node.numInputs()) +
                     " operands (Kiln takes one or two)");
  std::vector<std::string> labels;
  for (int i = 0; i < node.numInputs(); ++i) {
    labels.push_back(inputs[i].str());
    if (node.dtype(i) != DType::F32)
      return node.fail("only float32 Einsum is supported");
    if (static_cast<int64_t>(labels[i].size()) != node.rank(i))
      return node.fail("equation '" + equation + "': operand " + llvm::Twine(i) + " has rank " +
                       llvm::Twine(node.rank(i)));
  }
  for (const std::string &l : labels)
    for (char c : l)
      if (!std::isalpha(static_cast<unsigned char>(c)) || std::count(l.begin(), l.end(), c) != 1)
        return node.fail("equation '" + equation + "': repeated or non-letter labels (diagonals) " +
                         "are not supported");
  for (char c : out)
    if (labels[0].find(c) == std::string::npos &&
        (labels.size() < 2 || labels[1].find(c) == std::string::npos))
      return node.fail("equation '" + equation + "': output label '" + llvm::Twine(c) +
                       "' is in no operand");
  Value a = node.value(0);
  if (labels.size() == 1) {
    a = sumAway(node, a, labels[0], out);
    node.setValue(0, permute(node, a, labels[0], out));
    return llvm::Error::success();
  }
  Value b = node.value(1);
  a = sumAway(node, a, labels[0], out + labels[1]);
  b = sumAway(node, b, labels[1], out + labels[0]);
  std::string batch, contract, freeA, freeB;
  for (char c : out)
    if (labels[0].find(c) != std::string::npos && labels[1].find(c) != std::string::npos)
      batch += c;
  for (char c : labels[0])
    if (batch.find(c) == std::string::npos)
      (labels[1].find(c) != std::string::npos ? contract : freeA) += c;
  for (char c : labels[1])
    if (batch.find(c) == std::string::npos && contract.find(c) == std::string::npos)
      freeB += c;
  auto sizeOf = [&](int operand, char c) {
    return typeOf(operand ? b : a).getShape()[labels[operand].find(c)];
  };
  for (char c : batch + contract)
    if (sizeOf(0, c) != sizeOf(1, c))
      return node.fail("equation '" + equation + "': label '" + llvm::Twine(c) + "' has sizes " +
                       llvm::Twine(sizeOf(0, c)) + " and " + llvm::Twine(sizeOf(1, c)));
  auto product = [&](int operand, const std::string &ls) {
    int64_t p = 1;
    for (char c : ls)
      p *= sizeOf(operand, c);
    return p;
  };
  std::vector<int64_t> aShape, bShape, joined;
  for (char c : batch) {
    aShape.push_back(sizeOf(0, c));
    bShape.push_back(sizeOf(0, c));
    joined.push_back(sizeOf(0, c));
  }
  aShape.push_back(product(0, freeA));
  aShape.push_back(product(0, contract));
  bShape.push_back(product(1, contract));
  bShape.push_back(product(1, freeB));
  for (char c : freeA)
    joined.push_back(sizeOf(0, c));
  for (char c : freeB)
    joined.push_back(sizeOf(1, c));
  a = reshape(node.builder(), node.loc(), permute(node, a, labels[0], batch + freeA + contract),
              aShape);
  b = reshape(node.builder(), node.loc(), permute(node, b, labels[1], batch + contract + freeB),
              bShape);
  Value r = reshape(node.builder(), node.loc(), batchedMatMul(node, a, b), joined);
  node.setValue(0, permute(node, r, batch + freeA + freeB, out));
  return llvm::Error::success();
}

} // namespace

void registerEinsumOps(OpTable &table) {
  table.add("BatchMatMul", convertBatchMatMul, 2, 2);
  table.add("BatchMatMulV2", convertBatchMatMul, 2, 2);
  table.add("Einsum", convertEinsum, 1, 2);
}

} // namespace kiln::tfjs_import
