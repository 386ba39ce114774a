//===- TfjsImporter.h - TensorFlow.js graph models into TOSA ------*- C++ -*-===//
//
// Reads a TF.js graph model (model.json plus its binary weight shards) and
// builds one func.func @main over TOSA with static shapes, following
// docs/CONVENTIONS.md. TF.js models are NHWC already, so no layout
// transposes are added; TF's HWIO conv filters become TOSA's OHWI at import.
//
// Inputs and outputs are those TF.js itself uses: the signature's (keys as
// `kiln.name`, in signature order), or else every Placeholder and every node
// nothing consumes. Only nodes the outputs depend on are imported.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_TFJSIMPORTER_H
#define KILN_COMPILER_IMPORT_TFJS_TFJSIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

struct TfjsImportOptions {
  /// Shapes for inputs, by name (the signature key or the Placeholder's
  /// node name). They replace the model's unknown dimensions and must agree
  /// with its known ones.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// An unknown first dimension (the batch, -1 in TF.js models) becomes 1
  /// unless `inputShapes` says otherwise. Other unknown dimensions are an
  /// error naming each.
  bool pinBatchToOne = true;

  /// Inputs whose value is fixed at import, by name (as for `inputShapes`):
  /// the importer reads each as a constant of these values and leaves it
  /// out of the model's interface, so what the graph computes from it folds
  /// (a cond on it, a size computed from it). Its shape is `inputShapes`'s
  /// entry, else the model's (an unknown dimension taking what the count
  /// leaves), else `[values]`. Checked against the input's dtype at import.
  std::map<std::string, std::vector<double>> inputValues;

  /// Parses "name=1x192x192x3" and adds it.
  llvm::Error addInputShape(llvm::StringRef spec);
  /// Parses "name=V[,V...]" (numbers; true/false for a bool) and adds it.
  llvm::Error addInputValue(llvm::StringRef spec);
};

/// Imports `modelJsonPath` and the shards its weightsManifest names (paths
/// relative to it). On failure the error is one line naming the file; for
/// unsupported ops it lists every offending node as `node 'name' (op X)`.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importTfjsModel(mlir::MLIRContext &context,
                                                                  llvm::StringRef modelJsonPath,
                                                                  const TfjsImportOptions &options);

/// Every TF op name the importer converts, sorted (`kilnc --list-ops`).
std::vector<std::string> tfjsSupportedOps();

} // namespace kiln

#endif
