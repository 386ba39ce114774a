//===- OpContext.h - one TF node as its converter sees it ---------*- C++ -*-===//
//
// Converters (ops/*.cpp) read a node's inputs and attributes through an
// OpContext and record its outputs as MLIR values or, when they fold on the
// host, as Literals. Errors from `fail` are prefixed with the node's name and
// op by the importer. What does not depend on TF.js (the builder, input
// types, errors) comes from compiler/import/common/OpContextBase.h.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPCONTEXT_H
#define KILN_COMPILER_IMPORT_TFJS_OPCONTEXT_H

#include "compiler/import/common/OpContextBase.h"
#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/import/tfjs/GraphImporter.h"
#include "mlir/IR/BuiltinTypes.h"

namespace kiln::tfjs_import {

using import::kMaxFoldElements;

class OpContext : public import::OpContextBase {
public:
  OpContext(GraphImporter &graph, const TfNode &node, mlir::Location loc);

  const TfNode &node() const { return node_; }
  /// The TF op name ("Conv2D").
  llvm::StringRef opType() const { return node_.op; }
  GraphImporter &graph() { return graph_; }
  AttrReader &attrs() { return attrs_; }

  //--- Inputs (data inputs only; the op table checked their number).
  int numInputs() const override { return node_.inputs.size(); }
  /// "node:index".
  llvm::StringRef inputName(int i) const override { return node_.inputs[i]; }
  /// Known contents of input `i`, or null.
  const Literal *literal(int i) const;
  /// The input as an MLIR value (literals are materialised on first use).
  mlir::Value value(int i);
  /// The input with leading 1s up to `rank` dimensions (for broadcasting);
  /// known inputs are reshaped on the host, so no tosa.reshape is left.
  mlir::Value valueWithRank(int i, int64_t rank);
  mlir::RankedTensorType type(int i) const override;
  DType dtype(int i) const;
  /// Integer contents of an input that must be known (axes, paddings, shapes).
  llvm::Expected<std::vector<int64_t>> constInts(int i, llvm::StringRef what) const;
  /// A known output shape (a "shape" input): every dimension at least 1, else
  /// the error reads "<label> [dims] has a dimension below 1".
  llvm::Expected<std::vector<int64_t>> constShape(int i, llvm::StringRef label) const;
  /// Whether every input is known and at most `maxElements` large.
  bool allInputsFoldable(int64_t maxElements = kMaxFoldElements) const;

  /// Whether input `i` is a complex64 value (ops/Complex.h).
  bool isComplex(int i) const;
  /// Input `i` as its (real, imaginary) float32 parts; a real input's
  /// imaginary part is zeros.
  std::pair<mlir::Value, mlir::Value> complexValue(int i);

  //--- Outputs.
  void setValue(int i, mlir::Value value);
  /// Output `i` is a complex64 value of these float32 parts, one shape.
  void setComplex(int i, mlir::Value real, mlir::Value imag);
  void setLiteral(int i, Literal literal);
  /// Output `out` is input `in`, unchanged (Identity).
  void forwardInput(int in, int out);

private:
  const ValueEntry &entry(int i) const;
  std::string outputName(int i) const;

  GraphImporter &graph_;
  const TfNode &node_;
  AttrReader attrs_;
};

} // namespace kiln::tfjs_import

#endif
