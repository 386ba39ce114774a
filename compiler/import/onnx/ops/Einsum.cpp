//===- Einsum.cpp - Einsum --------------------------------------------------===//
//
// The equation attribute and every input go to the lowering both importers
// share (compiler/import/common/Einsum.h): diagonals, sums, pairwise
// contractions, a final transpose.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Einsum.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

llvm::Error convertEinsum(OpContext &op) {
  if (!op.hasAttr("equation"))
    return op.fail("the equation attribute is missing");
  if (op.numInputs() < 1)
    return op.fail("Einsum needs at least one input");
  std::vector<Value> operands;
  for (int i = 0; i < op.numInputs(); ++i)
    operands.push_back(op.value(i));
  auto y = import::einsum(op.builder(), op.loc(), op.attrString("equation", ""), operands);
  if (!y)
    return op.fail(llvm::toString(y.takeError()));
  op.setValue(0, *y);
  return llvm::Error::success();
}

} // namespace

void registerEinsumOps(OpTable &table) { table.add("Einsum", convertEinsum); }

} // namespace kiln::onnx_import
