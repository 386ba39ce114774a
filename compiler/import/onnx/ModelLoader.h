//===- ModelLoader.h - ONNX files into ModelProtos ----------------*- C++ -*-===//
//
// Reads a model as binary protobuf (.onnx) or as the text form libonnx's
// OnnxParser reads (.onnxtext), and prepares it for conversion: opset and
// domain checks, a list of every unsupported op, undefined names, the ONNX
// checker, pinning input shapes, version conversion and shape inference.
// Every failure is one line without the file name (the caller adds it).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_MODELLOADER_H
#define KILN_COMPILER_IMPORT_ONNX_MODELLOADER_H

#include "compiler/import/onnx/OnnxImporter.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace kiln::onnx_import {

/// Oldest default-domain opset the converters handle directly; older models
/// go through libonnx's version converter first.
constexpr int64_t kMinOpset = 7;
/// Newest default-domain opset Kiln (and libonnx 1.12) knows.
constexpr int64_t kMaxOpset = 17;

llvm::Expected<std::unique_ptr<onnx::ModelProto>> loadModelFile(llvm::StringRef path);

/// Runs the checks, pins shapes, converts old opsets and infers shapes.
/// `path` is the file `model` was loaded from (external data lives beside it).
llvm::Error prepareModel(onnx::ModelProto &model, llvm::StringRef path,
                         const OnnxImportOptions &options);

} // namespace kiln::onnx_import

#endif
