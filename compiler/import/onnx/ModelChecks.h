//===- ModelChecks.h - what Kiln checks before converting a model -*- C++ -*-===//
//
// Checks that give Kiln's own, complete error lines before libonnx's checker
// would stop at the first problem: opsets, op domains, unsupported ops (all of
// them in one line), undefined names, and dynamic input dimensions (pinned
// with --input-shape, or every one of them named).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_MODELCHECKS_H
#define KILN_COMPILER_IMPORT_ONNX_MODELCHECKS_H

#include "compiler/import/onnx/OnnxImporter.h"
#include "llvm/Support/Error.h"

namespace onnx {
class ModelProto;
} // namespace onnx

namespace kiln::onnx_import {

/// A model none of whose nodes is in the default domain (a training-domain
/// optimiser step) need not import it: it gets `opset` (the newest Kiln
/// supports), as ONNX Runtime gives a model the newest opset of a domain it
/// does not import. No node is read at that opset, so it changes no node's
/// meaning; a model with a default-domain node must still name its opset.
void supplyDefaultOpset(onnx::ModelProto &model, int64_t opset);
/// The default domain's opset is present and not newer than Kiln knows.
llvm::Error checkOpsets(const onnx::ModelProto &model, int64_t maxOpset);
/// Every node is in a domain Kiln imports (opTableForDomain) and has a
/// converter.
llvm::Error checkOps(const onnx::ModelProto &model);
/// Attribute values libonnx's shape inference divides by are positive (it
/// would crash on a zero stride or block size, not report it).
llvm::Error checkAttributeValues(const onnx::ModelProto &model);
/// Every tensor's inline raw data is a whole number of elements (libonnx's
/// shape inference reads it before Kiln checks it against the shape).
llvm::Error checkRawData(const onnx::ModelProto &model);
/// Every node input and graph output names an earlier definition.
llvm::Error checkNamesDefined(const onnx::ModelProto &model);
/// Applies --input-shape, then requires every input dimension to be static.
llvm::Error pinInputShapes(onnx::ModelProto &model, const OnnxImportOptions &options);

} // namespace kiln::onnx_import

#endif
