//===- SpirvHost.h - a SPIR-V model's dispatches and buffers as data -*- C++ -*-===//
//
// Lays a planned model (targets/host/HostPlan.h, 256-byte alignment) out for
// the Vulkan runtime: the arena holds the planned intermediates, then one
// scratch area that each kernel's dispatches share (kernels run one after
// another), then the inputs and the outputs; every offset is a multiple of
// KILN_VK_ALIGNMENT. Then prints NAME.h and NAME.c from the templates in
// targets/spirv/templates.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_SPIRV_SPIRVHOST_H
#define KILN_TARGETS_SPIRV_SPIRVHOST_H

#include "targets/host/HostPlan.h"
#include "targets/spirv/KernelToSpirv.h"

#include <string>
#include <vector>

namespace kiln::spirv {

/// Vulkan's largest minStorageBufferOffsetAlignment.
constexpr uint64_t kVkAlign = 256;

struct SpirvLayout {
  uint64_t scratchBase = 0;
  std::vector<std::vector<uint64_t>> scratchOffsets; ///< per plan kernel, per buffer
  std::vector<uint64_t> inputOffsets, outputOffsets;
  uint64_t arenaBytes = 0;
};

SpirvLayout layOut(const host::HostPlan &plan, const std::vector<SpirvKernel> &kernels);

struct SpirvHostOptions {
  std::string sourceName;
  uint32_t features = 0; ///< KILN_VK_FEATURE_* bits
  /// --fp16-storage: float32 inputs and outputs are float16 in the arena
  /// (KILN_VK_IO_F32_AS_F16; the runtime converts them).
  bool fp16Storage = false;
};

/// --fp16-storage on the host's side: every float32 buffer a call binds
/// becomes float16 (its binding range halves, the arena keeps the float32
/// plan's offsets), and the float32 weights are converted and packed again
/// at 256-byte alignment. plan.inputs and plan.outputs, the C API's tables,
/// stay float32. Fails naming a weight whose value float16 cannot hold.
llvm::Error storePlanAsFp16(host::HostPlan &plan);

/// The name of dispatch `d` of plan kernel `k`'s module: NAME_k<k>_d<d>.
std::string moduleName(const host::HostPlan &plan, unsigned k, unsigned d);

std::string emitHeader(const host::HostPlan &plan, const std::vector<SpirvKernel> &kernels,
                       const SpirvLayout &layout, const SpirvHostOptions &options);
std::string emitSource(const host::HostPlan &plan, const std::vector<SpirvKernel> &kernels,
                       const SpirvLayout &layout, const SpirvHostOptions &options);

} // namespace kiln::spirv

#endif
