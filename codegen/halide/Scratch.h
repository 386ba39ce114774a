//===- Scratch.h - the heap memory a compiled kernel asks for ----*- C++ -*-===//
//
// Halide puts a kernel's intermediates on the stack only up to 16 KB
// (maximum_stack_allocation_bytes in Halide's runtime); bigger ones, such as
// a fused block's expanded rows, go through halide_malloc even when the
// schedule says MemoryType::Stack. Reading the lowered module tells how
// much, so that a model's create can reserve it and runs allocate nothing
// (runtime/kiln_runtime.c: kiln_reserve_scratch). No Halide include: the
// struct travels in CompiledKernelInfo.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCRATCH_H
#define KILN_CODEGEN_SCRATCH_H

#include <cstdint>
#include <vector>

namespace Halide {
class Module;
} // namespace Halide

namespace kiln::codegen {

struct KernelScratch {
  /// Heap blocks live at once in each parallel task: every thread that runs
  /// tasks of the kernel needs its own set.
  std::vector<uint64_t> perThread;
  /// Heap blocks outside parallel loops: one set per run.
  std::vector<uint64_t> once;
  /// Some heap block has a size known only at run time: it still comes
  /// from Kiln's free list after the first run, but cannot be reserved.
  bool unknownSize = false;
};

/// The heap allocations of `module`'s functions, in bytes (with Halide's
/// padding and a block header's worth of slack).
KernelScratch findScratch(const Halide::Module &module);

} // namespace kiln::codegen

#endif
