//===- EmitContext.h - state shared by the op emitters ------------*- C++ -*-===//
//
// Internal to codegen (includes Halide). Each TOSA op of a kernel becomes one
// Halide Func; EmitContext maps SSA values to those Funcs and offers the
// index helpers every emitter needs.
//
// Dimension order: a row-major tensor [d0, d1, ..., dn-1] is a Halide Func
// over (dn-1, ..., d1, d0): Halide's dimension 0 is the innermost. Emitters
// work in tensor order through HTensor::at and defineFunc, which reverse.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_EMIT_EMITCONTEXT_H
#define KILN_CODEGEN_EMIT_EMITCONTEXT_H

#include "dialects/kiln/KilnOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include "Halide.h"

#include <functional>
#include <optional>
#include <vector>

namespace kiln::codegen {

/// A tensor value as a Halide Func, with its static shape in tensor order.
struct HTensor {
  Halide::Func func;
  std::vector<int64_t> shape;
  Halide::Type type;

  int rank() const { return static_cast<int>(shape.size()); }
  /// The element at tensor-order indices.
  Halide::Expr at(const std::vector<Halide::Expr> &indices) const;
};

/// A Func with a reduction (update definition) that the schedule templates
/// place: convolutions, matmuls.
struct Stage {
  enum Kind { Conv, Depthwise, TransposeConv, MatMul, FullyConnected } kind;
  Halide::Func func;
  Halide::RDom rdom;
  std::vector<int64_t> shape;
  /// Convolutions: the activation operand as the op reads it (before any
  /// padding), e.g. the clamp after a previous conv. The block template
  /// stores it, so that an epilogue is computed once per element rather
  /// than once per tap.
  Halide::Func input = {};
};

/// Pure Vars in tensor order, one per dimension.
std::vector<Halide::Var> tensorVars(int rank);
std::vector<Halide::Expr> toExprs(const std::vector<Halide::Var> &vars);
/// Defines f(reversed(vars)) = value.
void defineFunc(Halide::Func &f, const std::vector<Halide::Var> &vars, const Halide::Expr &value);
/// Adds an update f(reversed(vars)) += value.
void updateFuncAdd(Halide::Func &f, const std::vector<Halide::Var> &vars,
                   const Halide::Expr &value);

/// The Halide type of an MLIR element type.
llvm::Expected<Halide::Type> halideType(mlir::Type elementType);
/// The static shape of a ranked tensor value.
std::vector<int64_t> shapeOf(mlir::Value value);

/// An error naming the op: "tosa.conv2d: <message>".
llvm::Error opError(mlir::Operation *op, const llvm::Twine &message);

class EmitContext {
public:
  explicit EmitContext(KernelOp kernel) : kernel(kernel) {}

  KernelOp getKernel() const { return kernel; }
  const HTensor &lookup(mlir::Value value) const;
  void bind(mlir::Value value, HTensor tensor);
  /// A Func with a name unique within the kernel: "<stem>_<n>".
  Halide::Func newFunc(llvm::StringRef stem);
  /// Binds `result` to a new Func defined as value(vars), vars in tensor
  /// order with the result's rank.
  llvm::Error
  definePure(mlir::Value result, llvm::StringRef stem,
             const std::function<Halide::Expr(const std::vector<Halide::Expr> &)> &value);

  /// A compile-time integer operand (perms, paddings), or an error naming the op.
  llvm::Expected<std::vector<int64_t>> staticInts(mlir::Operation *op, mlir::Value operand);

  /// The input with a constant exterior outside [0, extent) of each
  /// tensor dimension whose `padded` flag is set; other dims are untouched.
  HTensor withConstantExterior(const HTensor &input, const std::vector<bool> &padded,
                               const Halide::Expr &value);

  /// Reads `input` at the indices of an output of shape `outShape` under
  /// TOSA broadcasting (equal ranks; input dims of size 1 repeat).
  Halide::Expr broadcastAt(const HTensor &input, const std::vector<int64_t> &outShape,
                           const std::vector<Halide::Expr> &indices) const;

  void addStage(Stage stage) { stages.push_back(std::move(stage)); }
  const std::vector<Stage> &getStages() const { return stages; }

private:
  KernelOp kernel;
  llvm::DenseMap<mlir::Value, HTensor> values;
  std::vector<Stage> stages;
  unsigned counter = 0;
};

/// Emits one op: reads its operands from the context and binds its results.
using OpEmitter = std::function<llvm::Error(mlir::Operation *, EmitContext &)>;
using EmitterTable = llvm::StringMap<OpEmitter>;

/// Each op family registers its emitters by op name ("tosa.conv2d"); Kiln's
/// own tosa.custom ops by "tosa.custom:" and their operator name
/// ("tosa.custom:kiln.mod"), so that each family adds its own without
/// wrapping another's (emitterKey).
void registerConvEmitters(EmitterTable &table);
void registerMatMulEmitters(EmitterTable &table);
void registerPoolEmitters(EmitterTable &table);
void registerReduceEmitters(EmitterTable &table);
void registerElementwiseEmitters(EmitterTable &table);
void registerDataMovementEmitters(EmitterTable &table);
void registerResizeEmitters(EmitterTable &table);
/// Integer conv2d/matmul (wrapping the float ones), "kiln.quantize" and
/// "kiln.divide".
void registerQuantizedEmitters(EmitterTable &table);
/// tosa.custom "kiln.mod".
void registerIntegerModEmitters(EmitterTable &table);
/// tosa.custom "kiln.compact" and "kiln.nms".
void registerBoundedEmitters(EmitterTable &table);
/// tosa.custom "kiln.unique".
void registerUniqueEmitters(EmitterTable &table);
/// tosa.custom "kiln.random" (Philox4x32-10 sampling).
void registerRandomEmitters(EmitterTable &table);

/// The key `op`'s emitter is registered under: its name, and for tosa.custom
/// also its operator name.
std::string emitterKey(mlir::Operation *op);

/// All emitters, built once.
const EmitterTable &emitterTable();

} // namespace kiln::codegen

#endif
