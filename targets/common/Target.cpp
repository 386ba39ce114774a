//===- Target.cpp - what every target implements --------------------------===//
#include "targets/common/Target.h"

namespace kiln {

llvm::Error Target::checkOptions(const TargetOptions &options) const {
  if (options.cpu != "host")
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--cpu applies to --target=cpu only");
  if (options.cpuFeatures != "host")
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--cpu-features applies to --target=cpu only");
  return llvm::Error::success();
}

} // namespace kiln
