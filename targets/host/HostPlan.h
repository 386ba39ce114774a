//===- HostPlan.h - what a model's entry point does, as data ------*- C++ -*-===//
//
// Turns `@main` at phase kernels into a plan the host-code emitters print:
// the kernels to compile (one per structural hash), the calls in order with
// the buffer each argument binds to, one arena for every intermediate with
// offsets from liveness (a result written in place over a dying input shares
// its offset), and one blob for the weights. No Halide here: the
// plan is shared by every target (C static library, WASM).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_HOST_HOSTPLAN_H
#define KILN_TARGETS_HOST_HOSTPLAN_H

#include "dialects/kiln/DType.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::host {

/// A host buffer's element type, mapped to halide_type_t and kiln_dtype
/// (dialects/kiln/DType.h).
struct ElementKind {
  DType type;
  uint8_t halideCode; ///< halide_type_code_t: 0 int, 1 uint, 2 float.
  uint8_t bits;       ///< 1 for bool (stored in a byte).
  uint8_t bytes;      ///< storage size of one element.
  /// kiln_dtype enumerator, e.g. "KILN_DTYPE_F32"; nullptr for the types
  /// the C API does not take at a model's boundary (see checkCBoundary).
  const char *dtype;
};
llvm::Expected<ElementKind> elementKind(mlir::Type type);

struct TensorDesc {
  std::string name;
  ElementKind element;
  std::vector<int64_t> shape;
  /// Outputs of data-dependent length (docs/BOUNDED.md): `shape` is the
  /// bound; dimension `boundedDim` holds as many entries as the output
  /// `countOutput` (int64 [1], one of those after the model's own outputs)
  /// says, and the host packs them to the front of the buffer after a run.
  /// -1 for every other tensor; a count has `countOf`, its output's index.
  int64_t boundedDim = -1, countOutput = -1, countOf = -1;
  uint64_t bytes() const;
};

/// Where a kernel argument lives at run time.
struct BufferRef {
  enum Kind { Input, Output, Weight, Arena } kind;
  uint64_t index = 0;  ///< input/output index
  uint64_t offset = 0; ///< byte offset into the weights blob or the arena
  TensorDesc desc;
};

struct KernelCall {
  unsigned kernel;             ///< index into HostPlan::kernels
  std::string label;           ///< the kiln.kernel's name, for error messages
  std::vector<BufferRef> args; ///< inputs, then outputs
};

/// A copy made after the kernels: outputs that are an input, a weight or
/// another output as they stand (no kernel produces them).
struct OutputCopy {
  BufferRef source;
  uint64_t output;
};

struct HostPlan {
  std::string modelName;
  std::vector<TensorDesc> inputs, outputs;
  /// One representative kernel per kernelKey (codegen/schedule/KernelInfo.h); the function names
  /// are
  /// `<modelName>_k<index>`.
  std::vector<kiln::KernelOp> kernels;
  std::vector<KernelCall> calls;
  std::vector<OutputCopy> copies;
  uint64_t arenaBytes = 0;
  /// Calls whose result shares the arena storage of an input that dies
  /// there (elementwise kernels and same-order copies; see InPlace.h).
  unsigned inPlaceCalls = 0;
  std::vector<uint8_t> weights; ///< every weight, each 64-byte aligned
  std::string functionName(unsigned kernel) const;
};

/// Alignment of every arena and weight buffer: a cache line, and enough for
/// the widest vector loads.
constexpr uint64_t kBufferAlign = 64;

/// Plans `main`. Fails with a clear message on anything the host cannot run
/// (an op outside a kernel, a dynamic shape, an unsupported element type).
/// `alignment`: of every weight and arena offset (the SPIR-V target binds
/// them as storage buffer ranges: 256, Vulkan's largest offset alignment).
llvm::Expected<HostPlan> planHost(mlir::func::FuncOp main, llvm::StringRef modelName,
                                  uint64_t alignment = kBufferAlign);

/// An error naming the first input or output whose element type the C API
/// (kiln_dtype) cannot describe; the CPU and WASM targets check this, the
/// in-process JIT takes any type.
llvm::Error checkCBoundary(const HostPlan &plan);

/// Turns any string into a C identifier usable as a model name prefix.
std::string sanitizeModelName(llvm::StringRef name);

} // namespace kiln::host

#endif
