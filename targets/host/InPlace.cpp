//===- InPlace.cpp - may a kernel write its result over an input? ---------===//
//
// Why in place is safe for the two kinds accepted here, and only for them:
//
// Copy: a body of tosa.reshape/tosa.identity only. Reshape keeps the
// row-major order, so out[i] = in[i] at the same byte offset; with in == out
// every store writes the value already there. Memory never changes, so any
// schedule (autoscheduled, shifted tails, any order, any threads) is fine.
//
// Elementwise: every op touching the shared input is a TOSA elementwise op
// whose operands from that input have the output's shape (other operands,
// weights and other inputs, may broadcast). Each output element then depends
// only on the input element at the same index. Halide computes the pure
// output of the generic template (codegen/halide/ApplySchedule.cpp, applyGeneric) as
// loads of in[i..i+w), math in registers, a store to out[i..i+w): the store
// depends on the loads, so element i is read before it is written, and no
// other element reads it. That holds for vectors of any width and for
// parallel outer loops (disjoint rows), but NOT for a ShiftInwards tail: when
// the innermost extent is not a multiple of the vector width, the last
// vector is shifted back over elements already stored, and recomputing
// out[i] = f(in[i]) then reads the new value: wrong for any f that is not
// idempotent (x + 1). So the record must be the template, generic pattern,
// with a width that divides the innermost extent (or that leaves it scalar);
// autoscheduled kernels are excluded, their splits are not ours to know.
// Kernels with several results are excluded too: Halide computes each output
// in its own loop nest, so the second would read an overwritten input.
//
//===----------------------------------------------------------------------===//
#include "targets/host/InPlace.h"

#include "codegen/schedule/Schedule.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;

namespace kiln::host {

/// The ops codegen emits as out[i] = f(operands broadcast at i)
/// (codegen/halide/emit/Elementwise.cpp).
static bool isElementwise(Operation *op) {
  return isa<tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::MaximumOp, tosa::MinimumOp, tosa::PowOp,
             tosa::IntDivOp, tosa::EqualOp, tosa::GreaterOp, tosa::GreaterEqualOp,
             tosa::LogicalAndOp, tosa::LogicalOrOp, tosa::LogicalXorOp, tosa::BitwiseAndOp,
             tosa::BitwiseOrOp, tosa::BitwiseXorOp, tosa::AbsOp, tosa::NegateOp, tosa::ClampOp,
             tosa::CastOp, tosa::ErfOp, tosa::LogicalNotOp, tosa::BitwiseNotOp, tosa::ExpOp,
             tosa::LogOp, tosa::TanhOp, tosa::SinOp, tosa::CosOp, tosa::FloorOp, tosa::CeilOp,
             tosa::SigmoidOp, tosa::ReciprocalOp, tosa::RsqrtOp, tosa::SelectOp>(op);
}

static bool isConstant(Operation *op) { return isa<tosa::ConstOp, arith::ConstantOp>(op); }

static std::optional<llvm::ArrayRef<int64_t>> staticShape(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return type.getShape();
}

/// True when the yielded value is a chain of reshapes/identities from one of
/// the shared block arguments and the body holds nothing else.
static bool isSameOrderCopy(KernelOp kernel, const llvm::DenseSet<Value> &shared) {
  for (Operation &op : kernel.getBody().front().without_terminator())
    if (!isa<tosa::ReshapeOp, tosa::IdentityOp>(op))
      return false;
  Value value = kernel.getYield()->getOperand(0);
  while (Operation *def = value.getDefiningOp())
    value = def->getOperand(0);
  return shared.contains(value);
}

/// Whether the generic template vectorises the innermost dimension (extent
/// `extent`) with a ShiftInwards tail. Mirrors vectorizeSafely in
/// codegen/halide/ApplySchedule.cpp: a width that divides needs no tail, a smaller
/// extent stays scalar, anything else shifts the last vector inward.
static bool hasShiftedTail(int64_t extent, int width) {
  return width > 1 && extent >= 2 && extent % width != 0 && extent > width;
}

static bool isTailFreeGenericTemplate(KernelOp kernel, llvm::ArrayRef<int64_t> shape) {
  auto record = codegen::getSchedule(kernel);
  if (!record) {
    llvm::consumeError(record.takeError());
    return false;
  }
  // No record: the target decides the vector width at compile time, which
  // the plan cannot see.
  if (!*record || (*record)->mode != codegen::ScheduleMode::Template ||
      (*record)->pattern != codegen::KernelPattern::Generic)
    return false;
  return shape.empty() || !hasShiftedTail(shape.back(), (*record)->vectorWidth);
}

static bool isIndexAligned(KernelOp kernel, llvm::DenseSet<Value> shared,
                           llvm::ArrayRef<int64_t> shape) {
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    bool touches = llvm::any_of(op.getOperands(), [&](Value v) { return shared.contains(v); });
    if (!touches) {
      // Shapes broadcast operands (a bias, a scale); never reads the input.
      if (!isElementwise(&op) && !isConstant(&op) && !isa<tosa::ReshapeOp>(op))
        return false;
      continue;
    }
    if (!isElementwise(&op))
      return false;
    for (Value v : op.getOperands())
      if (shared.contains(v) && staticShape(v) != std::optional(shape))
        return false;
    Value result = op.getResult(0);
    if (staticShape(result) != std::optional(shape))
      return false;
    shared.insert(result);
  }
  return true;
}

InPlaceKind inPlaceKind(KernelOp kernel, llvm::ArrayRef<unsigned> operands) {
  if (kernel->getNumResults() != 1 || operands.empty())
    return InPlaceKind::None;
  auto shape = staticShape(kernel->getResult(0));
  if (!shape)
    return InPlaceKind::None;
  Block &body = kernel.getBody().front();
  llvm::DenseSet<Value> shared;
  for (unsigned i : operands) {
    if (i >= body.getNumArguments())
      return InPlaceKind::None;
    shared.insert(body.getArgument(i));
  }
  if (isSameOrderCopy(kernel, shared))
    return InPlaceKind::Copy;
  if (isTailFreeGenericTemplate(kernel, *shape) && isIndexAligned(kernel, shared, *shape))
    return InPlaceKind::Elementwise;
  return InPlaceKind::None;
}

} // namespace kiln::host
