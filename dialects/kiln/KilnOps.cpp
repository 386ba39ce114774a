//===- KilnOps.cpp - kiln dialect operations ------------------------------===//
#include "dialects/kiln/KilnOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace kiln;

YieldOp KernelOp::getYield() { return cast<YieldOp>(getBody().front().getTerminator()); }

LogicalResult KernelOp::verify() {
  if (getKernelName().empty())
    return emitOpError("needs a non-empty kernel name");
  return success();
}

// The body must mirror the operands (the region is isolated from above, so the
// block arguments are the only way in) and yield exactly the results.
LogicalResult KernelOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body has ")
           << body.getNumArguments() << " arguments but the kernel has " << getInputs().size()
           << " inputs";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(body.getArgumentTypes(), getInputs()))) {
    auto [argType, input] = pair;
    if (argType != input.getType())
      return emitOpError("body argument #")
             << i << " has type " << argType << " but input #" << i << " has type "
             << input.getType();
  }
  YieldOp yield = getYield();
  if (yield.getValues().size() != getNumResults())
    return emitOpError("yields ") << yield.getValues().size() << " values but has "
                                  << getNumResults() << " results";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(yield.getValues().getTypes(), getResultTypes()))) {
    auto [yieldType, resultType] = pair;
    if (yieldType != resultType)
      return emitOpError("yielded value #")
             << i << " has type " << yieldType << " but result #" << i << " has type "
             << resultType;
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/kiln/KilnOps.cpp.inc"
