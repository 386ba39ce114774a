//===- Activation.cpp - Relu, Relu6, Elu, LeakyRelu, Prelu, Sigmoid, Tanh --===//
//
// The same lowering serves the standalone ops and the activations fused
// into convolutions and matmuls (Helpers.cpp: applyActivation).
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/Helpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"

using namespace mlir;

namespace kiln::tfjs_import {
namespace {

llvm::Error convertActivation(OpContext &node) {
  if (node.dtype(0) != DType::F32)
    return node.fail("only float32 operands are supported, not " + dtypeName(node.dtype(0)));
  Value alpha;
  if (node.opType() == "Prelu") {
    if (node.dtype(1) != DType::F32)
      return node.fail("Prelu's alpha must be float32");
    alpha = node.valueWithRank(1, node.rank(0));
  }
  float leakyAlpha = node.attrs().getFloat("alpha", 0.2f);
  auto out = applyActivation(node, node.opType(), node.value(0), alpha, leakyAlpha);
  if (!out)
    return out.takeError();
  node.setValue(0, *out);
  return llvm::Error::success();
}

} // namespace

void registerActivationOps(OpTable &table) {
  for (const char *op : {"Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Tanh"})
    table.add(op, convertActivation, 1, 1);
  table.add("Prelu", convertActivation, 2, 2);
}

} // namespace kiln::tfjs_import
