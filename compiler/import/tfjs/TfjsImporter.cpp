//===- TfjsImporter.cpp - TensorFlow.js graph models into TOSA ------------===//
#include "compiler/import/tfjs/TfjsImporter.h"

#include "compiler/import/tfjs/GraphImporter.h"
#include "compiler/import/tfjs/ModelJson.h"
#include "compiler/import/tfjs/Weights.h"
#include "compiler/import/tfjs/ops/OpTable.h"

#include <optional>

namespace kiln {

// "name=<part><sep><part>..." of `flag` into `to[name]`: each part through
// `parse`, which gives the value or nullopt (then `bad` names what it is
// not). `what` names the parts for a spec without '='; `expected` is the
// spelling the errors show.
template <typename T>
static llvm::Error addSpec(std::map<std::string, std::vector<T>> &to, llvm::StringRef flag,
                           llvm::StringRef spec, char sep, llvm::StringRef what,
                           llvm::StringRef expected, llvm::StringRef bad,
                           llvm::function_ref<std::optional<T>(llvm::StringRef)> parse) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   flag + " " + spec + ": " + why + " (expected " + expected + ")");
  };
  auto [name, text] = spec.rsplit('=');
  if (name.empty() || text.empty() || !spec.contains('='))
    return fail("no name=" + what);
  std::vector<T> values;
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, sep);
  for (llvm::StringRef part : parts) {
    std::optional<T> v = parse(part);
    if (!v)
      return fail("'" + part + "' is not " + bad);
    values.push_back(*v);
  }
  if (to.count(name.str()))
    return fail("input '" + name + "' is given twice");
  to[name.str()] = std::move(values);
  return llvm::Error::success();
}

llvm::Error TfjsImportOptions::addInputShape(llvm::StringRef spec) {
  return addSpec<int64_t>(inputShapes, "--input-shape", spec, 'x', "shape", "name=1x192x192x3",
                          "a positive size", [](llvm::StringRef part) -> std::optional<int64_t> {
                            int64_t d;
                            if (part.getAsInteger(10, d) || d < 1)
                              return std::nullopt;
                            return d;
                          });
}

llvm::Error TfjsImportOptions::addInputValue(llvm::StringRef spec) {
  return addSpec<double>(inputValues, "--input-value", spec, ',', "values",
                         "name=V[,V...], e.g. downsample_ratio=0.5", "a number",
                         [](llvm::StringRef part) -> std::optional<double> {
                           double v;
                           if (part == "true" || part == "false")
                             return part == "true" ? 1.0 : 0.0;
                           if (part.trim().getAsDouble(v))
                             return std::nullopt;
                           return v;
                         });
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
