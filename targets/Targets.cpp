//===- Targets.cpp - the targets kilnc can build --------------------------===//
#include "targets/Targets.h"

#include "targets/cpu/CpuTarget.h"
#include "targets/spirv/SpirvTarget.h"
#include "targets/wasm/WasmTarget.h"

namespace kiln {

const std::vector<const Target *> &allTargets() {
  static const CpuTarget cpu;
  static const WasmTarget wasm;
  static const SpirvTarget spirv;
  static const std::vector<const Target *> targets = {&cpu, &wasm, &spirv};
  return targets;
}

const Target *findTarget(llvm::StringRef name) {
  for (const Target *target : allTargets())
    if (target->name() == name)
      return target;
  return nullptr;
}

std::string targetNames() {
  std::string names;
  const auto &targets = allTargets();
  for (size_t i = 0; i < targets.size(); ++i)
    names += (i == 0 ? "" : i + 1 == targets.size() ? " or " : ", ") + targets[i]->name().str();
  return names;
}

} // namespace kiln
