//===- OnnxImporter.h - ONNX models into TOSA ---------------------*- C++ -*-===//
//
// Reads an ONNX model (binary protobuf, or the textual form libonnx parses)
// and builds one func.func over TOSA with static shapes. libonnx does the
// checking, opset conversion and shape inference; this importer maps nodes to
// TOSA, keeping the model's NCHW interface with explicit transposes (a later
// pass propagates NHWC and cancels them).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H
#define KILN_COMPILER_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

struct OnnxImportOptions {
  /// Shapes that pin an input's dynamic dimensions, by input name.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Parses "name=1x3x224x224" and adds it.
  llvm::Error addInputShape(llvm::StringRef spec);
};

/// Imports a model file (.onnx binary or .onnxtext). On failure the error is
/// one clear message naming the file and, for unsupported ops, every
/// offending node.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxFile(mlir::MLIRContext &context, llvm::StringRef path, const OnnxImportOptions &options);

/// Every ONNX op type the importer converts (`kilnc --list-ops`): the
/// default domain's, sorted, then those of other domains qualified by the
/// domain ("ai.onnx.preview.training.Adam").
std::vector<std::string> onnxSupportedOps();

} // namespace kiln

#endif
