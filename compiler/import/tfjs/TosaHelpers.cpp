//===- TosaHelpers.cpp - TOSA building blocks for the TF.js converters ----===//
#include "compiler/import/tfjs/TosaHelpers.h"

namespace kiln::tfjs_import {

mlir::Value i32Constant(OpContext &node, llvm::ArrayRef<int64_t> values,
                        llvm::ArrayRef<int64_t> shape) {
  return node.graph().createConstant(
      Literal::fromInts(DType::I32, std::vector<int64_t>(shape.begin(), shape.end()),
                        std::vector<int64_t>(values.begin(), values.end())),
      "indices");
}

} // namespace kiln::tfjs_import
