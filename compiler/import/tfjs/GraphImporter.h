//===- GraphImporter.h - a TF.js GraphDef to func.func over TOSA --*- C++ -*-===//
//
// The core of the TF.js importer. It settles the model's interface (inputs,
// outputs, static input shapes), keeps only the nodes the outputs need,
// checks them all before converting any (every unsupported op and every
// undefined input in one error each), orders them topologically (TF graphs
// are not stored in order), and converts each through the op table
// (ops/*.cpp).
//
// Every tensor ("node:index") maps to an entry holding an MLIR value, its
// known contents (a Literal), or both: a Literal becomes a tosa.const only
// when a TOSA op needs it, so shape subgraphs and re-laid-out weights
// leave nothing behind.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_GRAPHIMPORTER_H
#define KILN_COMPILER_IMPORT_TFJS_GRAPHIMPORTER_H

#include "compiler/import/tfjs/Literal.h"
#include "compiler/import/tfjs/ModelJson.h"
#include "compiler/import/tfjs/Tf1Frames.h"
#include "compiler/import/tfjs/TfjsImporter.h"
#include "compiler/import/tfjs/Weights.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>

namespace kiln::tfjs_import {

/// The TF1 Switch outputs a tensor depends on, outermost first: (the
/// predicate tensor, the side taken). Only Switches whose predicate is known
/// at run time alone leave a mark: both their sides are computed and the
/// Merge that joins them selects (ops/Tf1ControlFlow.cpp).
using Guard = std::vector<std::pair<std::string, bool>>;

struct ValueEntry {
  mlir::Value value;              // set once materialised or computed
  std::optional<Literal> literal; // set when the contents are known
  std::string origin;             // the weight it came from, to name its blob
  bool dead = false;              // the untaken side of a TF1 Switch, or fed by one
  Guard guard = {};               // see Guard
  // A complex64 value is a pair of float32 tensors: `value` is its real part
  // and `imag` its imaginary part (ops/Complex.h). Only the ops of
  // complexConverter take one, and no model output may be one.
  mlir::Value imag = {};
};

/// One end of the model's interface.
struct InterfaceTensor {
  std::string kilnName; // what TF.js calls it
  std::string tensor;   // "node:index"
  std::vector<int64_t> shape;
  DType dtype = DType::F32;
};

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &context, const TfjsModel &model, llvm::StringMap<Weight> weights,
                const TfjsImportOptions &options);

  /// Builds the module. Errors are one line, without the file name.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> run();

  /// The entry of a tensor ("node:index"), or null; every output of a dead
  /// node is the one dead entry.
  ValueEntry *lookup(llvm::StringRef tensor);
  void define(llvm::StringRef tensor, ValueEntry entry);
  /// Every output of `node` is dead (TF.js never runs a node one of whose
  /// inputs is the untaken side of a Switch).
  void markDead(llvm::StringRef node) { deadNodes_.insert(node); }
  /// Converts one node (a renamed copy inside a TF1 loop frame, too).
  llvm::Error importNode(const TfNode &node);
  /// The MLIR value of an entry, creating its tosa.const if needed.
  mlir::Value materialize(ValueEntry &entry, llvm::StringRef tensor);
  /// A tosa.const holding `literal`: inline for splats and a few elements, a
  /// dense_resource blob named after `nameHint` otherwise.
  mlir::Value createConstant(const Literal &literal, llvm::StringRef nameHint);
  /// The constant `make()` returns, created once per `key` (a weight
  /// re-laid out for several convolutions is stored once).
  mlir::Value derivedConstant(llvm::StringRef key, llvm::function_ref<Literal()> make);

  mlir::OpBuilder &builder() { return builder_; }
  /// The parsed model.json (function bodies read the library from it).
  const TfjsModel &model() const { return model_; }

private:
  llvm::Error resolveInputs();
  llvm::Error resolveOutputs();
  llvm::Error selectAndOrderNodes();
  llvm::Error createFunction(mlir::ModuleOp module);
  llvm::Error importConst(const TfNode &node);
  llvm::Error finishFunction();

  mlir::MLIRContext &context_;
  const TfjsModel &model_;
  llvm::StringMap<Weight> weights_;
  const TfjsImportOptions &options_;
  mlir::OpBuilder builder_;
  mlir::func::FuncOp func_;
  llvm::StringMap<size_t> nodeIndex_; // node name -> index in model_.nodes
  std::vector<InterfaceTensor> inputs_, outputs_;
  // Inputs of --input-value: constants, not arguments of @main.
  std::vector<std::pair<InterfaceTensor, Literal>> fixedInputs_;
  std::vector<size_t> order_; // nodes to convert, topologically sorted
  llvm::StringMap<ValueEntry> values_;
  llvm::StringMap<mlir::Value> derived_;
  llvm::StringSet<> deadNodes_;
  ValueEntry deadEntry_{mlir::Value(), std::nullopt, "", true, {}};
  std::vector<Tf1Frame> frames_; // TF1 while loops (Tf1Frames.h)
  std::vector<int> frameOf_;     // node -> index in frames_, or -1
};

/// "node 'name' (op X)", the way every node-level error names its node.
std::string describeNode(const TfNode &node);

} // namespace kiln::tfjs_import

#endif
