#include "compiler/import/onnx/OnnxImporter.h"
namespace kiln {
llvm::Error OnnxImportOptions::addInputShape(llvm::StringRef spec) { return llvm::Error::success(); }
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importOnnxFile(mlir::MLIRContext &context, llvm::StringRef path, const OnnxImportOptions &options) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "not yet");
}
}
