//===- OpContext.h - one ONNX node as its converter sees it -------*- C++ -*-===//
//
// Converters (ops/*.cpp) read a node's inputs, attributes and opset through
// an OpContext and record its outputs as MLIR values or, when they fold on
// the host, as Literals. Errors from `fail` are prefixed with the node's name
// and op type by the importer.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPCONTEXT_H
#define KILN_COMPILER_IMPORT_ONNX_OPCONTEXT_H

#include "compiler/import/onnx/GraphImporter.h"
#include "mlir/IR/BuiltinTypes.h"

namespace onnx {
class AttributeProto;
class TensorProto;
} // namespace onnx

namespace kiln::onnx_import {

/// Host folding of arithmetic is for shape computations; anything larger is
/// left to TOSA and the graph phase's constant folding.
constexpr int64_t kMaxFoldElements = 1 << 16;

class OpContext {
public:
  OpContext(GraphImporter &graph, const onnx::NodeProto &node, mlir::Location loc);

  const onnx::NodeProto &node() const { return node_; }
  llvm::StringRef opType() const;
  int64_t opset() const { return graph_.opset(); }
  mlir::OpBuilder &builder() { return graph_.builder(); }
  mlir::Location loc() const { return loc_; }
  GraphImporter &graph() { return graph_; }

  //--- Inputs. An optional input left empty ("") counts as absent.
  int numInputs() const;
  llvm::StringRef inputName(int i) const;
  /// The node's name, or its first output's name when it has none.
  llvm::StringRef name() const;
  bool hasInput(int i) const;
  /// Known contents of input `i`, or null.
  const Literal *literal(int i) const;
  /// The input as an MLIR value (constants are materialised on first use).
  mlir::Value value(int i);
  mlir::RankedTensorType type(int i) const;
  llvm::ArrayRef<int64_t> shape(int i) const { return type(i).getShape(); }
  int64_t rank(int i) const { return type(i).getRank(); }
  mlir::Type elementType(int i) const { return type(i).getElementType(); }
  /// Integer contents of an input that must be constant (axes, pads, shape).
  llvm::Expected<std::vector<int64_t>> constInts(int i, llvm::StringRef what) const;

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
  llvm::Error fail(const llvm::Twine &message) const;
  /// Maps a possibly negative axis into [0, rank) or fails.
  llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;
  /// Whether every present input is known and small enough to fold.
  bool allInputsFoldable(int64_t maxElements = kMaxFoldElements) const;

  template <typename OpTy, typename... Args> mlir::Value create(Args &&...args) {
    return builder().create<OpTy>(loc_, std::forward<Args>(args)...).getResult();
  }

private:
  const ValueEntry *entry(int i) const;

  GraphImporter &graph_;
  const onnx::NodeProto &node_;
  mlir::Location loc_;
};

} // namespace kiln::onnx_import

#endif
