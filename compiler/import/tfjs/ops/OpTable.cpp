//===- OpTable.cpp - TF op name to converter ------------------------------===//
#include "compiler/import/tfjs/ops/OpTable.h"

#include "compiler/import/tfjs/ops/Complex.h"

namespace kiln::tfjs_import {

// The importer converts these itself (weights and function arguments); they
// are in the table so that "is this op supported" has one answer.
static llvm::Error handledByImporter(OpContext &) { return llvm::Error::success(); }

const OpTable &tfjsOpTable() {
  static const OpTable table = [] {
    OpTable t;
    t.add("Const", handledByImporter, 0, 0);
    t.add("Placeholder", handledByImporter, 0, 0);
    registerConvOps(t);
    registerMatMulOps(t);
    registerEinsumOps(t);
    registerElementwiseOps(t);
    registerMathOps(t);
    registerActivationOps(t);
    registerPoolOps(t);
    registerTensorOps(t);
    registerTransformOps(t);
    registerSliceOps(t);
    registerGatherOps(t);
    registerShapeOps(t);
    registerReduceOps(t);
    registerScanOps(t);
    registerControlFlowOps(t);
    registerTf1ControlFlowOps(t);
    registerNmsOps(t);
    registerWhereOps(t);
    registerListDiffOps(t);
    registerScatterOps(t);
    registerCropAndResizeOps(t);
    registerWindowTapOps(t);
    registerProjectiveTransformOps(t);
    registerTensorArrayOps(t);
    registerTensorListOps(t);
    registerResizeOps(t);
    registerNormalizeOps(t);
    registerCompareOps(t);
    registerComplexOps(t);
    registerRandomOps(t);
    return t;
  }();
  return table;
}

} // namespace kiln::tfjs_import
