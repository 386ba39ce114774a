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
  /// kiln_dtype enumerator, e.g. "KILN_DTYPE_F32"; nullptr for a DType
  /// without one (none today; see checkCBoundary).
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
  /// Rng: the context's random state, int32 [4] (seed low and high, run
  /// low and high; @main's `kiln.rng` argument, compiler/import/common/
  /// Random.h), which the host advances after every run.
  enum Kind { Input, Output, Weight, Arena, Rng } kind = Arena;
  uint64_t index = 0;  ///< input/output index
  uint64_t offset = 0; ///< byte offset into the weights blob or the arena
  TensorDesc desc{};
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

/// One step of a run (docs/CONTROL_FLOW.md): a kernel call, a copy, or host
/// control flow around steps. Steps nest: If [Else] EndIf, and Loop ...
/// LoopCondition ... EndLoop; `match` links each opening step to its
/// closing one (If to Else or EndIf, Else to EndIf, Loop to EndLoop and
/// back), so a runner can skip a branch or repeat a body.
struct HostStep {
  enum Kind {
    Call, ///< HostPlan::calls[index]
    Copy, ///< source's bytes to target
    If,   ///< the steps up to Else/EndIf run when the bool `source` is true
    Else, ///< the steps up to EndIf run when it was false
    EndIf,
    Loop,          ///< HostPlan::loops[index]: starts an iteration while it may
    LoopCondition, ///< the body has run: read its next condition
    ScanStore,     ///< scan output `scan` of the loop: this iteration's row
    EndLoop,       ///< back to Loop; after the last iteration, checks the count
  } kind;
  unsigned index = 0;
  unsigned scan = 0;
  unsigned match = 0;
  BufferRef source{}, target{};
  std::string label{}; ///< If: the kiln.if's location name
};

/// A loop the host runs (kiln.loop). The body's first two arguments are
/// `iteration` (int64) and `conditionIn` (bool), which the host writes
/// before each iteration; its carried values live in `states`, the loop's
/// results, copied back from the body's at the end of each iteration.
struct HostLoop {
  std::string label;
  bool hasTripCount = false, hasCondition = false;
  BufferRef tripCount{}, condition{};
  BufferRef iteration{}, conditionIn{}, conditionOut{};
  /// Scan outputs: each iteration's element goes to row i of `stacked`,
  /// which has `rows` rows; a run of another length is an error.
  struct Scan {
    BufferRef element, stacked;
    uint64_t rows;
  };
  std::vector<Scan> scans;
};

struct HostPlan {
  std::string modelName;
  std::vector<TensorDesc> inputs, outputs;
  /// Whether a kernel samples (reads the context's random state).
  bool usesRandom = false;
  /// One representative kernel per kernelKey (codegen/schedule/KernelInfo.h); the function names
  /// are
  /// `<modelName>_k<index>`.
  std::vector<kiln::KernelOp> kernels;
  std::vector<KernelCall> calls;
  /// What a run does, in order: every call, with the copies and control
  /// flow of kiln.if and kiln.loop around them (HostStep).
  std::vector<HostStep> steps;
  std::vector<HostLoop> loops;
  /// Whether `steps` holds more than the calls in order: host code that
  /// only runs `calls` (the compact call tables, SPIR-V) cannot run it.
  bool hasControlFlow() const { return !loops.empty() || steps.size() != calls.size(); }
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
/// (kiln_dtype) cannot describe. Every DType has a kiln_dtype today; the
/// targets that print C (cpu, wasm, spirv) still check, so that a DType
/// added without one is a compile error, not generated C that does not
/// build. The in-process JIT takes any type.
llvm::Error checkCBoundary(const HostPlan &plan);

/// Turns any string into a C identifier usable as a model name prefix.
std::string sanitizeModelName(llvm::StringRef name);

} // namespace kiln::host

#endif
