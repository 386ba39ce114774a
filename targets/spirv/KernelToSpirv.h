//===- KernelToSpirv.h - one kiln.kernel to Vulkan compute modules -*- C++ -*-===//
//
// Lowers one kernel (TOSA inside a kiln.kernel region, static shapes) with
// MLIR 19's own path: TOSA -> linalg on tensors -> bufferized linalg on
// memrefs -> parallel loops tiled and mapped to workgroups and invocations as
// the kernel's schedule record says -> gpu dialect -> spirv dialect ->
// serialised SPIR-V words. Every parallel loop nest becomes one dispatch; an
// intermediate the nests pass between them becomes a scratch buffer the host
// places in the arena. No uniforms or push constants: shapes are baked in.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_SPIRV_KERNELTOSPIRV_H
#define KILN_TARGETS_SPIRV_KERNELTOSPIRV_H

#include "codegen/schedule/Schedule.h"
#include "dialects/kiln/KilnOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::spirv {

/// What the emitted modules may use beyond Vulkan 1.0 core.
struct SpirvOptions {
  /// --vulkan=1.1: SPIR-V 1.3 modules (Vulkan 1.0 takes SPIR-V 1.0).
  bool vulkan11 = false;
  /// --fp16-storage: float32 buffers hold float16 (Fp16Storage.h).
  bool fp16Storage = false;
};

/// One vkCmdDispatch.
struct SpirvDispatch {
  std::string entry;           ///< the entry point's name in `words`
  std::vector<uint32_t> words; ///< a whole SPIR-V module
  uint32_t groups[3] = {1, 1, 1};
  uint32_t workgroup[3] = {1, 1, 1};
  /// Descriptor binding i (set 0) is the kernel's buffer bindings[i]: its
  /// operands (inputs then results) first, then its scratch buffers.
  std::vector<unsigned> bindings;
};

struct SpirvKernel {
  std::vector<SpirvDispatch> dispatches;
  /// Bytes of each scratch buffer: intermediates passed between dispatches,
  /// dead once the kernel's last dispatch is done.
  std::vector<uint64_t> scratchBytes;
  /// Device features its modules need (KILN_VK_FEATURE_INT64 for 64-bit
  /// integers, _FLOAT64 for doubles), which create checks.
  uint32_t features = 0;
};

/// runtime/vulkan/kiln_runtime_vulkan.h's KILN_VK_FEATURE_* bits.
enum : uint32_t {
  kFeatureVulkan11 = 1u << 0,
  kFeatureStorage16Bit = 1u << 1,
  kFeatureInt64 = 1u << 4,
  kFeatureFloat64 = 1u << 5,
};

/// Compiles `kernel` as `record` (its workgroup and invocation_tile knobs)
/// says. An op the route cannot lower is an error naming the kernel and the
/// op.
llvm::Expected<SpirvKernel> compileKernel(KernelOp kernel, const codegen::ScheduleRecord &record,
                                          const SpirvOptions &options);

/// "vulkan1.0" or "vulkan1.1": the spirv-val environment the modules target.
std::string validatorEnv(const SpirvOptions &options);

} // namespace kiln::spirv

#endif
