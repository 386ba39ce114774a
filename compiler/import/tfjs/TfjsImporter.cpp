//===- TfjsImporter.cpp - TensorFlow.js graph models into TOSA ------------===//
#include "compiler/import/tfjs/TfjsImporter.h"

#include "compiler/import/tfjs/GraphImporter.h"
#include "compiler/import/tfjs/ModelJson.h"
#include "compiler/import/tfjs/Weights.h"
#include "compiler/import/tfjs/ops/OpTable.h"

namespace kiln {

llvm::Error TfjsImportOptions::addInputShape(llvm::StringRef spec) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--input-shape " + spec + ": " + why +
                                       " (expected name=1x192x192x3)");
  };
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || !spec.contains('='))
    return fail("no name=shape");
  std::vector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  dims.split(parts, 'x');
  for (llvm::StringRef part : parts) {
    int64_t d;
    if (part.getAsInteger(10, d) || d < 1)
      return fail("'" + part + "' is not a positive size");
    shape.push_back(d);
  }
  if (inputShapes.count(name.str()))
    return fail("input '" + name + "' is given twice");
  inputShapes[name.str()] = std::move(shape);
  return llvm::Error::success();
}

llvm::Error TfjsImportOptions::addInputValue(llvm::StringRef spec) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--input-value " + spec + ": " + why +
                                       " (expected name=V[,V...], e.g. downsample_ratio=0.5)");
  };
  auto [name, text] = spec.rsplit('=');
  if (name.empty() || text.empty() || !spec.contains('='))
    return fail("no name=values");
  std::vector<double> values;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  for (llvm::StringRef part : parts) {
    double v;
    if (part == "true" || part == "false")
      v = part == "true";
    else if (part.trim().getAsDouble(v))
      return fail("'" + part + "' is not a number");
    values.push_back(v);
  }
  if (inputValues.count(name.str()))
    return fail("input '" + name + "' is given twice");
  inputValues[name.str()] = std::move(values);
  return llvm::Error::success();
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importTfjsModel(mlir::MLIRContext &context, llvm::StringRef modelJsonPath,
                const TfjsImportOptions &options) {
  auto withPath = [&](llvm::Error err) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   modelJsonPath + ": " + llvm::toString(std::move(err)));
  };
  auto model = tfjs_import::parseModelJson(modelJsonPath);
  if (!model)
    return withPath(model.takeError());
  auto weights = tfjs_import::loadWeights(*model);
  if (!weights)
    return withPath(weights.takeError());
  tfjs_import::GraphImporter importer(context, *model, std::move(*weights), options);
  auto module = importer.run();
  if (!module)
    return withPath(module.takeError());
  return module;
}

std::vector<std::string> tfjsSupportedOps() { return tfjs_import::tfjsOpTable().names(); }

} // namespace kiln
