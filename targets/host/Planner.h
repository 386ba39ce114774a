//===- Planner.h - the host planner's state, shared by its files --*- C++ -*-===//
//
// Private to targets/host: planHost (HostPlan.cpp) walks @main's kernels,
// PlanControl.cpp the kiln.if and kiln.loop it meets and the functions they
// name (docs/CONTROL_FLOW.md). Steps are the time axis of every arena
// interval.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_HOST_PLANNER_H
#define KILN_TARGETS_HOST_PLANNER_H

#include "mlir/IR/BuiltinOps.h"
#include "targets/host/HostPlan.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <vector>

namespace kiln::host::detail {

using mlir::Block;
using mlir::ElementsAttr;
using mlir::ModuleOp;
using mlir::Operation;
using mlir::Value;

llvm::Error planError(const llvm::Twine &message);
/// `role` says what the tensor is in an error message ("input", "weight").
llvm::Expected<TensorDesc> describe(mlir::Value value, std::string name, const char *role);
bool sameBuffer(const BufferRef &a, const BufferRef &b);
/// The op's location name (the ONNX node), or its op name.
std::string locationName(mlir::Operation *op);

/// An intermediate that lives in the arena from the step that defines it to
/// the last step that reads it. While planning, an arena BufferRef's
/// `offset` holds its interval's index; the offsets replace them at the end.
struct Interval {
  uint64_t bytes;
  unsigned first, last;
  uint64_t offset = 0;
};

/// Walks @main, and the functions its kiln.if and kiln.loop name, into one
/// HostPlan: steps in run order, intervals in step time.
class Planner {
public:
  Planner(HostPlan &plan, ModuleOp module, uint64_t alignment)
      : plan(plan), module(module), alignment(alignment) {}

  /// Plans the ops of `body` (a function's one block) up to its terminator.
  /// `direct`: values that are written straight into a given buffer.
  llvm::Error planOps(Block &body, const llvm::DenseMap<Value, BufferRef> &direct);
  llvm::Expected<BufferRef> resolve(Value value);
  void define(Value value, BufferRef ref) { buffers[value] = ref; }
  /// Marks `ref` read at the current step.
  BufferRef use(BufferRef ref) {
    if (ref.kind == BufferRef::Arena) {
      Interval &iv = intervals[ref.offset];
      iv.last = std::max(iv.last, now());
    }
    return ref;
  }
  BufferRef newArena(TensorDesc desc) {
    BufferRef ref{BufferRef::Arena, 0, intervals.size(), desc};
    intervals.push_back(Interval{desc.bytes(), now(), now()});
    return ref;
  }
  void step(HostStep s) { plan.steps.push_back(std::move(s)); }
  void copy(BufferRef from, BufferRef to) {
    if (to.desc.bytes() == 0)
      return; // an empty value: no bytes, no step
    HostStep s{HostStep::Copy};
    s.source = use(from);
    s.target = use(to);
    step(s);
  }
  /// Patches every arena reference with its interval's offset.
  void finish();

private:
  unsigned now() const { return plan.steps.size(); }
  llvm::Error planKernel(kiln::KernelOp kernel, const llvm::DenseMap<Value, BufferRef> &direct);
  llvm::Error planIf(kiln::IfOp op, const llvm::DenseMap<Value, BufferRef> &direct);
  llvm::Error planLoop(kiln::LoopOp op, const llvm::DenseMap<Value, BufferRef> &direct);
  /// Plans a branch or body function with its arguments bound to `args`;
  /// `results` gets where each returned value is (after copies into
  /// `dest`, where one is given).
  llvm::Error planFunction(llvm::StringRef symbol, llvm::ArrayRef<BufferRef> args,
                           llvm::ArrayRef<std::optional<BufferRef>> dest,
                           std::vector<BufferRef> &results);
  /// The buffer of each result of a kiln.if or kiln.loop: its direct one,
  /// or a new arena interval starting now.
  llvm::Expected<std::vector<BufferRef>>
  resultBuffers(Operation *op, const llvm::DenseMap<Value, BufferRef> &direct);
  llvm::Expected<BufferRef> weightRef(Value value, ElementsAttr attr);

  HostPlan &plan;
  ModuleOp module;
  uint64_t alignment;
  llvm::DenseMap<Value, BufferRef> buffers;
  llvm::DenseMap<Value, ElementsAttr> constants;
  llvm::StringMap<unsigned> kernelByKey;
  std::vector<Interval> intervals;
  llvm::DenseMap<Value, unsigned> intervalOf;
  /// Functions being planned, against recursion.
  llvm::SmallVector<llvm::StringRef> active;
};

} // namespace kiln::host::detail

#endif
