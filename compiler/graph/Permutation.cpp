//===- Permutation.cpp - transpose permutations for the layout passes -----===//
#include "compiler/graph/Permutation.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace kiln {

bool isIdentityPerm(ArrayRef<int64_t> perm) {
  for (auto [i, p] : llvm::enumerate(perm))
    if (p != static_cast<int64_t>(i))
      return false;
  return true;
}

Perm invertPerm(ArrayRef<int64_t> perm) {
  Perm inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return inverse;
}

Perm composePerms(ArrayRef<int64_t> first, ArrayRef<int64_t> second) {
  Perm composed;
  for (int64_t s : second)
    composed.push_back(first[s]);
  return composed;
}

SmallVector<int64_t> permuteShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(shape[p]);
  return out;
}

std::optional<Perm> getTransposePerm(tosa::TransposeOp op) {
  SmallVector<int64_t> values;
  if (failed(op.getConstantPerms(values)))
    return std::nullopt;
  // Reject anything that is not a permutation of 0..n-1.
  SmallVector<bool> seen(values.size(), false);
  for (int64_t v : values) {
    if (v < 0 || v >= static_cast<int64_t>(values.size()) || seen[v])
      return std::nullopt;
    seen[v] = true;
  }
  return Perm(values.begin(), values.end());
}

Value createTranspose(OpBuilder &builder, Location loc, Value input, ArrayRef<int64_t> perm) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto permsType = RankedTensorType::get({static_cast<int64_t>(perm.size())}, builder.getI32Type());
  SmallVector<int32_t> perm32(perm.begin(), perm.end());
  Value perms =
      builder.create<tosa::ConstOp>(loc, permsType, DenseIntElementsAttr::get(permsType, perm32));
  auto resultType = inputType.clone(permuteShape(inputType.getShape(), perm));
  return builder.create<tosa::TransposeOp>(loc, resultType, input, perms);
}

} // namespace kiln
