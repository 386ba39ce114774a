//===- OpContext.h - one ONNX node as its converter sees it -------*- C++ -*-===//
//
// Converters (ops/*.cpp) read a node's inputs, attributes and opset through
// an OpContext and record its outputs as MLIR values or, when they fold on
// the host, as Literals. Errors from `fail` are prefixed with the node's name
// and op type by the importer. What does not depend on ONNX (the builder,
// input types, errors) comes from compiler/import/common/OpContextBase.h.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPCONTEXT_H
#define KILN_COMPILER_IMPORT_ONNX_OPCONTEXT_H

#include "compiler/import/common/OpContextBase.h"
#include "compiler/import/onnx/GraphImporter.h"
#include "mlir/IR/BuiltinTypes.h"

namespace onnx {
class AttributeProto;
class TensorProto;
} // namespace onnx

namespace kiln::onnx_import {

using import::kMaxFoldElements;

class OpContext : public import::OpContextBase {
public:
  OpContext(GraphImporter &graph, const onnx::NodeProto &node, mlir::Location loc);

  const onnx::NodeProto &node() const { return node_; }
  llvm::StringRef opType() const;
  int64_t opset() const { return graph_.opset(); }
  GraphImporter &graph() { return graph_; }

  //--- Inputs. An optional input left empty ("") counts as absent.
  int numInputs() const override;
  llvm::StringRef inputName(int i) const override;
  /// The node's name, or its first output's name when it has none.
  llvm::StringRef name() const;
  bool hasInput(int i) const;
  /// Known contents of input `i`, or null.
  const Literal *literal(int i) const;
  /// The input as an MLIR value (constants are materialised on first use).
  mlir::Value value(int i);
  mlir::RankedTensorType type(int i) const override;
  /// Integer contents of an input that must be constant (axes, pads, shape).
  llvm::Expected<std::vector<int64_t>> constInts(int i, llvm::StringRef what) const;
  /// Fails unless input `i` (called `what`) broadcasts to `shape` without
  /// changing it (ONNX's unidirectional broadcasting: PRelu's slope, Gemm's
  /// C), which libonnx's shape inference does not check.
  llvm::Error checkBroadcastsTo(int i, llvm::ArrayRef<int64_t> shape, llvm::StringRef what) const;

  //--- Attributes.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  int64_t attrInt(llvm::StringRef name, int64_t defaultValue) const;
  float attrFloat(llvm::StringRef name, float defaultValue) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef defaultValue) const;
  std::vector<int64_t> attrInts(llvm::StringRef name) const;
  std::vector<float> attrFloats(llvm::StringRef name) const;
  const onnx::TensorProto *attrTensor(llvm::StringRef name) const;

  //--- Outputs.
  int numOutputs() const;
  bool hasOutput(int i) const;
  void setValue(int i, mlir::Value value);
  void setLiteral(int i, Literal literal);
  /// Output `out` is input `in` (Identity and friends): same value, same
  /// known contents.
  void forwardInput(int in, int out);

  //--- Helpers.
  /// A tosa.const for a Literal the converter made (e.g. re-laid-out weights).
  mlir::Value constant(const Literal &literal, llvm::StringRef nameHint);
  /// Whether every present input is known and small enough to fold.
  bool allInputsFoldable(int64_t maxElements = kMaxFoldElements) const;

private:
  const ValueEntry *entry(int i) const;

  GraphImporter &graph_;
  const onnx::NodeProto &node_;
};

} // namespace kiln::onnx_import

#endif
