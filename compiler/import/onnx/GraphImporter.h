//===- GraphImporter.h - ONNX graph to func.func over TOSA --------*- C++ -*-===//
//
// The core of the ONNX importer: walks a checked, shape-inferred ONNX graph in
// node order and builds one func.func @main. Every ONNX value name maps to an
// entry that holds an MLIR value, a Literal (known contents), or both: a
// Literal only becomes a tosa.const when a node that is not folded on the host
// needs it, so shape subgraphs and re-laid-out weights leave nothing behind.
//
// Each node is converted by the function its op type registers in the op
// table (ops/*.cpp); converters see the node through an OpContext.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_GRAPHIMPORTER_H
#define KILN_COMPILER_IMPORT_ONNX_GRAPHIMPORTER_H

#include "compiler/import/onnx/Literal.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace onnx {
class ModelProto;
class NodeProto;
class TypeProto;
} // namespace onnx

namespace kiln::onnx_import {

class OpContext;

/// What the importer knows about one ONNX value.
struct ValueEntry {
  mlir::Value value;              // set once materialised or computed
  std::optional<Literal> literal; // set when the contents are known
};

/// The MLIR element type for an ONNX data type, or a null type.
mlir::Type elementTypeFor(mlir::Builder &b, int32_t dtype);
/// The ONNX data type for an MLIR element type (0 if none).
int32_t dtypeFor(mlir::Type type);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &context, const onnx::ModelProto &model, llvm::StringRef path);

  /// Builds the module. Errors are one line, without the file name prefix.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> run();

  /// The entry for `name`, or null if no earlier node, input or initializer
  /// defines it.
  ValueEntry *lookup(llvm::StringRef name);
  void define(llvm::StringRef name, ValueEntry entry);
  /// The MLIR value of an entry, creating its tosa.const if needed.
  llvm::Expected<mlir::Value> materialize(ValueEntry &entry, llvm::StringRef name,
                                          mlir::Location loc);
  /// A tosa.const holding `literal`: dense for splats and a few elements,
  /// a dense_resource blob otherwise. `nameHint` names the blob.
  llvm::Expected<mlir::Value> createConstant(const Literal &literal, llvm::StringRef nameHint,
                                             mlir::Location loc);

  mlir::OpBuilder &builder() { return builder_; }
  llvm::StringRef modelDir() const { return modelDir_; }
  int64_t opset() const { return opset_; }
  /// Inputs that the op's schema binds to one type parameter share an element
  /// type. Also run on the nodes of Loop, Scan and If bodies (ControlFlow.cpp).
  llvm::Error checkTypeParameters(const onnx::NodeProto &node, OpContext &op);
  /// The fully static shape the model declares or ONNX shape inference
  /// found for `name` (value_info, graph outputs), if any: the length of a
  /// host loop's scan output (ops/ControlFlow.h).
  std::optional<llvm::SmallVector<int64_t>> declaredShape(llvm::StringRef name) const;

private:
  llvm::Error importInitializers();
  llvm::Error createFunction(mlir::ModuleOp module);
  llvm::Error importNode(const onnx::NodeProto &node);
  llvm::Error checkInferredShapes(const onnx::NodeProto &node);
  /// Defines the node's outputs as empty literals when shape inference finds
  /// them all empty; false (nothing defined) otherwise.
  bool defineEmptyOutputs(const onnx::NodeProto &node);
  llvm::Error finishFunction();
  mlir::Location nodeLocation(const onnx::NodeProto &node);

  mlir::MLIRContext &context_;
  const onnx::ModelProto &model_;
  std::string path_;
  std::string modelDir_;
  int64_t opset_ = 0;
  mlir::OpBuilder builder_;
  mlir::func::FuncOp func_;
  llvm::StringMap<ValueEntry> values_;
  // Types ONNX shape inference found (value_info and graph outputs), used to
  // cross-check what each converter builds.
  llvm::StringMap<const onnx::TypeProto *> inferredTypes_;
};

} // namespace kiln::onnx_import

#endif
