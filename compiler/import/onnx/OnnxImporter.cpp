//===- OnnxImporter.cpp - ONNX models into TOSA ---------------------------===//
#include "compiler/import/onnx/OnnxImporter.h"

#include "compiler/import/onnx/GraphImporter.h"
#include "compiler/import/onnx/ModelLoader.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/support/Error.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringExtras.h"

namespace kiln {

llvm::Error OnnxImportOptions::addInputShape(llvm::StringRef spec) {
  // The name may itself contain '=' in principle; dimensions never do.
  size_t eq = spec.rfind('=');
  std::string quoted = "--input-shape '" + spec.str() + "'";
  if (eq == llvm::StringRef::npos || eq == 0)
    return makeError(quoted + ": expected NAME=DIMS, e.g. x=1x3x224x224");
  llvm::StringRef name = spec.take_front(eq), dimsText = spec.drop_front(eq + 1);
  if (dimsText.empty())
    return makeError(quoted + ": no dimensions after '=' (e.g. " + name + "=1x3x224x224)");
  std::vector<int64_t> dims;
  llvm::SmallVector<llvm::StringRef> parts;
  dimsText.split(parts, 'x', -1, /*KeepEmpty=*/true);
  for (llvm::StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 1)
      return makeError(quoted + ": '" + part +
                       "' is not a positive dimension (dimensions are separated by 'x')");
    dims.push_back(dim);
  }
  if (!inputShapes.emplace(name.str(), std::move(dims)).second)
    return makeError(quoted + ": input '" + name + "' is given more than once");
  return llvm::Error::success();
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxFile(mlir::MLIRContext &context, llvm::StringRef path, const OnnxImportOptions &options) {
  auto withPath = [&](llvm::Error err) {
    return makeError(path + ": " + llvm::toString(std::move(err)));
  };
  auto model = onnx_import::loadModelFile(path);
  if (!model)
    return withPath(model.takeError());
  if (llvm::Error err = onnx_import::prepareModel(**model, path, options))
    return withPath(std::move(err));
  onnx_import::GraphImporter importer(context, **model, path);
  auto module = importer.run();
  if (!module)
    return withPath(module.takeError());
  return std::move(*module);
}

std::vector<std::string> onnxSupportedOps() {
  std::vector<std::string> ops = onnx_import::onnxOpTable().names();
  // The other domains the importer takes (opTableForDomain), qualified by
  // their domain as ONNX names them.
  for (llvm::StringRef domain : {"ai.onnx.preview.training"})
    for (const std::string &op : onnx_import::opTableForDomain(domain)->names())
      ops.push_back((domain + "." + op).str());
  return ops;
}

} // namespace kiln
