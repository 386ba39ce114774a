//===- CumSum.cpp - CumSum -------------------------------------------------===//
//
// A running sum along the axis (compiler/import/common/Scan.h, shared with
// TF.js's Cumsum): the axis input must be known at import, since it picks
// which dimension the slices run along; exclusive and reverse are attributes.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/common/Scan.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

llvm::Error convertCumSum(OpContext &op) {
  auto axisValues = op.constInts(1, "axis");
  if (!axisValues)
    return axisValues.takeError();
  if (axisValues->size() != 1)
    return op.fail("axis must be one value, not " + llvm::Twine(axisValues->size()));
  if (op.rank(0) < 1)
    return op.fail("CumSum needs an input of rank 1 or more");
  auto axis = op.normalizeAxis((*axisValues)[0], op.rank(0));
  if (!axis)
    return axis.takeError();
  import::CumulativeOptions options;
  options.exclusive = op.attrInt("exclusive", 0) != 0;
  options.reverse = op.attrInt("reverse", 0) != 0;
  auto y = import::cumulative(op.builder(), op.loc(), op.value(0), *axis, options);
  if (!y)
    return op.fail(llvm::toString(y.takeError()));
  op.setValue(0, *y);
  return llvm::Error::success();
}

} // namespace

void registerCumSumOps(OpTable &table) { table.add("CumSum", convertCumSum); }

} // namespace kiln::onnx_import
