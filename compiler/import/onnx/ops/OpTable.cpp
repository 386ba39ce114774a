//===- OpTable.cpp - ONNX op type to converter ----------------------------===//
#include "compiler/import/onnx/ops/OpTable.h"

namespace kiln::onnx_import {

const OpTable &onnxOpTable() {
  static const OpTable table = [] {
    OpTable t;
    registerConvOps(t);
    registerLinearOps(t);
    registerElementwiseOps(t);
    registerActivationOps(t);
    registerNormalizationOps(t);
    registerPoolOps(t);
    registerMaxUnpoolOps(t);
    registerTensorOps(t);
    registerCombineOps(t);
    registerSliceOps(t);
    registerShapeOps(t);
    registerReduceOps(t);
    registerResizeOps(t);
    registerGridSampleOps(t);
    registerRoiAlignOps(t);
    registerMathOps(t);
    registerLogicOps(t);
    registerLossOps(t);
    registerMaskOps(t);
    registerSignalOps(t);
    registerScatterOps(t);
    registerTopKOps(t);
    registerQuantizedOps(t);
    registerRecurrentOps(t);
    registerControlFlowOps(t);
    registerCumSumOps(t);
    registerEinsumOps(t);
    registerFourierOps(t);
    registerTfIdfOps(t);
    registerBoundedOps(t);
    registerUniqueOps(t);
    registerRandomOps(t);
    return t;
  }();
  return table;
}

const OpTable *opTableForDomain(llvm::StringRef domain) {
  static const OpTable training = [] {
    OpTable t;
    registerTrainingOps(t);
    return t;
  }();
  if (domain.empty() || domain == "ai.onnx")
    return &onnxOpTable();
  if (domain == "ai.onnx.preview.training")
    return &training;
  return nullptr;
}

} // namespace kiln::onnx_import
