//===- Targets.h - the targets kilnc can build ---------------------*- C++ -*-===//
//
// The registry the driver dispatches through: a new target adds itself in
// Targets.cpp and nowhere else.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_TARGETS_H
#define KILN_TARGETS_TARGETS_H

#include "targets/common/Target.h"

#include <string>
#include <vector>

namespace kiln {

/// Every target, in the order `kilnc --help` lists them.
const std::vector<const Target *> &allTargets();
/// The target called `name`, or nullptr.
const Target *findTarget(llvm::StringRef name);
/// "cpu or wasm": for error messages.
std::string targetNames();

} // namespace kiln

#endif
