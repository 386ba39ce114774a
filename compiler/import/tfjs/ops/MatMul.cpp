//===- MatMul.cpp - MatMul and _FusedMatMul -------------------------------===//
//
// With a constant right-hand side (the usual dense layer) the product is a
// tosa.fully_connected, whose weight is [N, K]: TF's [K, N] weights are
// transposed on the host. Otherwise it is a batch-1 tosa.matmul.
//
// TOSA's matmul takes only float or 8/16-bit integer operands, so an int32
// MatMul (facemesh-attention's SpatialTransformer builds `repeat` as an
// [n, 1] x [1, 256] int32 product) is a broadcast multiply over [m, k, n]
// and a sum over k: exact, wrapping as TF's int32 products do.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

// [m, k, n] elements at most for the int32 product's intermediate, which
// kernel formation fuses into the sum but a reference run would hold.
constexpr int64_t kMaxIntProduct = int64_t(1) << 24;

Value intMatMul(OpBuilder &b, Location loc, Value lhs, Value rhs, int64_t m, int64_t k, int64_t n) {
  Value products = mul(b, loc, reshape(b, loc, lhs, {m, k, 1}), reshape(b, loc, rhs, {1, k, n}));
  return reshape(b, loc, reduce<tosa::ReduceSumOp>(b, loc, products, 1), {m, n});
}

llvm::Error convertMatMul(OpContext &node, bool fused) {
  if (node.rank(0) != 2 || node.rank(1) != 2)
    return node.fail("MatMul takes 2-D operands, not " + shapeString(node.shape(0)) + " and " +
                     shapeString(node.shape(1)));
  bool isInt = node.dtype(0) == DType::I32 && node.dtype(1) == DType::I32;
  if (!isInt && (node.dtype(0) != DType::F32 || node.dtype(1) != DType::F32))
    return node.fail("MatMul takes two float32 or two int32 operands");
  if (isInt && fused)
    return node.fail("_FusedMatMul of int32 operands is not supported (TF fuses float only)");
  bool transposeA = node.attrs().getBool("transpose_a", false);
  bool transposeB = node.attrs().getBool("transpose_b", false);
  FusedOps fusedOps;
  if (fused) {
    auto f = readFusedOps(node, /*firstArg=*/2);
    if (!f)
      return f.takeError();
    fusedOps = *f;
  }
  llvm::ArrayRef<int64_t> a = node.shape(0), b = node.shape(1);
  int64_t m = transposeA ? a[1] : a[0], k = transposeA ? a[0] : a[1];
  int64_t kb = transposeB ? b[1] : b[0], n = transposeB ? b[0] : b[1];
  if (k != kb)
    return node.fail("inner dimensions differ: " + shapeString(a) + " x " + shapeString(b) +
                     (transposeA ? " (a transposed)" : "") + (transposeB ? " (b transposed)" : ""));

  Value lhs = node.value(0);
  if (transposeA)
    lhs = transpose(node.builder(), node.loc(), lhs, {1, 0});
  Type f32 = node.builder().getF32Type();
  Value out;
  if (isInt) {
    if (m * k * n > kMaxIntProduct)
      return node.fail("an int32 MatMul of " + llvm::Twine(m) + "x" + llvm::Twine(k) + " by " +
                       llvm::Twine(k) + "x" + llvm::Twine(n) + " is over " +
                       llvm::Twine(kMaxIntProduct) + " products (Kiln sums them as int32)");
    Value rhs = node.value(1);
    if (transposeB)
      rhs = transpose(node.builder(), node.loc(), rhs, {1, 0});
    out = intMatMul(node.builder(), node.loc(), lhs, rhs, m, k, n);
  } else if (const Literal *h = node.literal(1)) {
    auto bias = fusedBias(node, fusedOps, n);
    if (!bias)
      return bias.takeError();
    std::string name = node.inputName(1).rsplit(':').first.str();
    Value w = node.graph().derivedConstant(name + (transposeB ? "" : "_nk"), [&] {
      return transposeB ? *h : h->transposed({1, 0});
    });
    out = node.create<tosa::FullyConnectedOp>(tensorOf({m, n}, f32), lhs, w, *bias);
  } else {
    Value rhs = node.value(1);
    if (transposeB)
      rhs = transpose(node.builder(), node.loc(), rhs, {1, 0});
    out = node.create<tosa::MatMulOp>(tensorOf({1, m, n}, f32),
                                      reshape(node.builder(), node.loc(), lhs, {1, m, k}),
                                      reshape(node.builder(), node.loc(), rhs, {1, k, n}));
    out = reshape(node.builder(), node.loc(), out, {m, n});
    if (fusedOps.biasInput >= 0) {
      auto bias = fusedBias(node, fusedOps, n);
      if (!bias)
        return bias.takeError();
      out = binary<tosa::AddOp>(node.builder(), node.loc(), out, *bias);
    }
  }
  auto activated = fusedActivation(node, fusedOps, out);
  if (!activated)
    return activated.takeError();
  node.setValue(0, *activated);
  return llvm::Error::success();
}

llvm::Error convertPlain(OpContext &node) { return convertMatMul(node, false); }
llvm::Error convertFused(OpContext &node) { return convertMatMul(node, true); }

} // namespace

void registerMatMulOps(OpTable &table) {
  table.add("MatMul", convertPlain, 2, 2);
  table.add("_FusedMatMul", convertFused, 2, -1);
}

} // namespace kiln::tfjs_import
