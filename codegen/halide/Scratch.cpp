//===- Scratch.cpp - the heap memory a compiled kernel asks for -----------===//
#include "codegen/halide/Scratch.h"

#include "Halide.h"

namespace kiln::codegen {

namespace {

// Halide's runtime constant (HalideRuntime internals): "stack" allocations
// above it are backed by the heap.
constexpr uint64_t kMaxStackBytes = 16 * 1024;
// Halide pads heap allocations for vector loads past the end; a few bytes
// in practice (12 seen on x86), 64 leaves room for any vector width.
constexpr uint64_t kPadding = 64;

class Finder : public Halide::Internal::IRVisitor {
public:
  Finder(KernelScratch &out, bool inTask) : out(out), parallelDepth(inTask) {}

private:
  using IRVisitor::visit;

  void visit(const Halide::Internal::For *op) override {
    bool parallel = op->for_type == Halide::Internal::ForType::Parallel;
    parallelDepth += parallel;
    IRVisitor::visit(op);
    parallelDepth -= parallel;
  }

  void visit(const Halide::Internal::Allocate *op) override {
    using Halide::MemoryType;
    bool hostMemory = op->memory_type == MemoryType::Auto || op->memory_type == MemoryType::Stack ||
                      op->memory_type == MemoryType::Heap;
    if (hostMemory && !op->new_expr.defined()) {
      int32_t elements = op->constant_allocation_size();
      uint64_t bytes = uint64_t(elements) * op->type.bytes();
      if (elements <= 0)
        out.unknownSize = true;
      else if (op->memory_type == MemoryType::Heap || bytes > kMaxStackBytes)
        (parallelDepth ? out.perThread : out.once).push_back(bytes + kPadding);
    }
    IRVisitor::visit(op);
  }

  KernelScratch &out;
  int parallelDepth = 0;
};

} // namespace

KernelScratch findScratch(const Halide::Module &module) {
  KernelScratch scratch;
  for (const Halide::Internal::LoweredFunc &f : module.functions()) {
    // Lowering moves each parallel loop's body into a function of its own
    // ("<kernel>_par_for_<loop>"), run by the thread pool once per task.
    bool task = f.name.find("_par_for_") != std::string::npos;
    Finder finder(scratch, task);
    f.body.accept(&finder);
  }
  return scratch;
}

} // namespace kiln::codegen
