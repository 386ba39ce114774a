//===- SpirvTarget.h - a model as Vulkan compute modules plus a C host -*- C++ -*-===//
//
// kilnc --target=spirv: every kernel lowered to SPIR-V compute modules by
// MLIR (KernelToSpirv.h), the model's dispatches, bindings and buffers laid
// out as static data (SpirvHost.h), and the C API of the CPU target's
// NAME.h around libkiln_runtime_vulkan.a (runtime/vulkan). The contract is
// targets/spirv/README.md.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_SPIRV_SPIRVTARGET_H
#define KILN_TARGETS_SPIRV_SPIRVTARGET_H

#include "targets/common/Target.h"

namespace kiln {

class SpirvTarget : public Target {
public:
  llvm::StringRef name() const override { return "spirv"; }
  llvm::StringRef summary() const override {
    return "Vulkan compute: NAME.h + libNAME.a (SPIR-V inside) + libkiln_runtime_vulkan.a";
  }
  llvm::Error checkOptions(const TargetOptions &options) const override;
  llvm::Expected<std::vector<codegen::ScheduleVariant>>
  variants(const TargetOptions &options) const override;
  llvm::Error emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                   const TargetOptions &options) const override;
};

} // namespace kiln

#endif
