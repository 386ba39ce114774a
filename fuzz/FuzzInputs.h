//===- FuzzInputs.h - what a fuzz input means, and what it must give -*- C++ -*-===//
//
// One meaning for every fuzz input, shared by the libFuzzer targets
// (fuzz/FuzzTarget.cpp) and the regression replay in the unit tests
// (test/unit/{Onnx,Tfjs}ImporterTest.cpp), so that a file under
// fuzz/regressions/ replays the same way in both builds. Header-only: the
// normal build does not configure fuzz/, and the unit tests include this file
// without linking anything from here.
//
// Targets and their inputs (fuzz/README.md has the details):
//   onnx          the bytes of a .onnx file
//   onnx-text     the text of a .onnxtext file
//   tfjs-json     a model.json; then, optionally, a NUL byte and the stored
//                 bytes of its int32 and bool weights in manifest order (they
//                 drive shapes, so seeds keep the real ones); every other
//                 weight is made up, sized from the manifest
//   tfjs-weights  one byte choosing a fixed model (fuzz/tfjs-weights/*.json),
//                 then the bytes of its one weight group, cut in the middle
//                 into its two shards
//
// What every input must give (checkOutcome): an import error of a non-empty
// message that is not an "internal error", or a module that verifies and then
// goes through the graph phase, which may fail with a diagnostic. A crash,
// sanitizer report, abort, hang or leak anywhere is a bug.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FUZZ_FUZZINPUTS_H
#define KILN_FUZZ_FUZZINPUTS_H

#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/tfjs/ModelJson.h"
#include "compiler/import/tfjs/TfjsImporter.h"
#include "compiler/import/tfjs/Weights.h"
#include "compiler/pipeline/Pipeline.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::fuzz {

enum class Target { Onnx, OnnxText, TfjsJson, TfjsWeights };

inline std::optional<Target> parseTarget(llvm::StringRef name) {
  if (name == "onnx")
    return Target::Onnx;
  if (name == "onnx-text")
    return Target::OnnxText;
  if (name == "tfjs-json")
    return Target::TfjsJson;
  if (name == "tfjs-weights")
    return Target::TfjsWeights;
  return std::nullopt;
}

/// fuzz/, found from this header's own path.
inline std::string fuzzDir() { return llvm::sys::path::parent_path(__FILE__).str(); }

/// A directory of the process's own for the files an input becomes. Each
/// input starts from an empty directory, so that no run sees another's files.
class Scratch {
public:
  Scratch() {
    llvm::SmallString<128> dir;
    if (llvm::sys::fs::createUniqueDirectory("kiln-fuzz", dir))
      llvm::report_fatal_error("kiln-fuzz: cannot create a scratch directory");
    dir_ = dir.str().str();
  }
  ~Scratch() {
    clear();
    llvm::sys::fs::remove(dir_);
  }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;

  std::string path(llvm::StringRef name) const { return dir_ + "/" + name.str(); }
  void write(llvm::StringRef name, llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path(name), ec);
    if (ec)
      llvm::report_fatal_error(llvm::Twine("kiln-fuzz: cannot write ") + path(name));
    os << bytes;
    written_.push_back(name.str());
  }
  void clear() {
    for (const std::string &name : written_)
      llvm::sys::fs::remove(path(name));
    written_.clear();
  }

private:
  std::string dir_;
  std::vector<std::string> written_;
};

/// A context with Kiln's dialects, on one thread (fuzzing takes one core),
/// whose diagnostics go nowhere (a failing pass is an outcome, not output).
inline std::unique_ptr<mlir::MLIRContext> makeContext() {
  mlir::DialectRegistry registry;
  registerDialects(registry);
  auto context =
      std::make_unique<mlir::MLIRContext>(registry, mlir::MLIRContext::Threading::DISABLED);
  context->loadAllAvailableDialects();
  context->getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
  return context;
}

namespace detail {

// A shard name the harness may write: one plain file name in the scratch
// directory. Others are left for the importer to find (or not).
inline bool writableShardName(llvm::StringRef name) {
  return !name.empty() && name != "." && name != ".." && name != "model.json" &&
         !name.contains('/') && !name.contains('\0');
}

// Writes the shards of every weight group of `json` (if it parses): int32
// and bool weights take their bytes from `tail` in order (zeros once it is
// used up); other weights get a fixed pattern. A group too big to make up
// (over 64 MB, or sizes that overflow) gets empty shards.
inline void writeMadeUpShards(Scratch &scratch, llvm::StringRef json, llvm::StringRef tail) {
  auto model = tfjs_import::parseModelJsonText(json, ".");
  if (!model) {
    llvm::consumeError(model.takeError());
    return;
  }
  constexpr uint64_t kMaxGroupBytes = 64 << 20;
  size_t used = 0;
  for (const tfjs_import::WeightGroup &group : model->weightGroups) {
    std::string bytes;
    bool tooBig = false;
    for (const tfjs_import::WeightSpec &spec : group.weights) {
      uint64_t count = 1, size;
      for (int64_t d : spec.shape)
        tooBig |= d < 0 || __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count);
      // Strings are made up as empty ones: a uint32 length of 0 each.
      uint64_t elementSize = spec.dtype == "string" && !spec.quantization
                                 ? 4
                                 : static_cast<uint64_t>(tfjs_import::storedElementSize(spec));
      tooBig |=
          __builtin_mul_overflow(count, elementSize, &size) || size > kMaxGroupBytes - bytes.size();
      if (tooBig)
        break;
      if (spec.dtype == "int32" || spec.dtype == "bool") {
        llvm::StringRef from = tail.substr(used, size);
        used += from.size();
        bytes += from.str();
        bytes.append(size - from.size(), '\0');
      } else if (spec.dtype == "string") {
        bytes.append(size, '\0');
      } else {
        // Codes i % 251 when quantized; else floats in [0.5, 2).
        for (uint64_t i = 0; i < size; ++i)
          bytes.push_back(static_cast<char>(spec.quantization ? i % 251
                                            : i % 4 == 3      ? 0x3f
                                                              : i * 37 % 256));
      }
    }
    if (tooBig)
      bytes.clear();
    for (size_t i = 0; i < group.paths.size(); ++i)
      if (writableShardName(group.paths[i]))
        scratch.write(group.paths[i], i == 0 ? llvm::StringRef(bytes) : llvm::StringRef());
  }
}

// The fixed models of tfjs-weights, read once, in file-name order.
inline const std::vector<std::string> &weightModels() {
  static const std::vector<std::string> models = [] {
    std::vector<std::string> paths, texts;
    std::error_code ec;
    std::string dir = fuzzDir() + "/tfjs-weights";
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
      if (llvm::sys::path::extension(it->path()) == ".json")
        paths.push_back(it->path());
    std::sort(paths.begin(), paths.end());
    for (const std::string &path : paths) {
      auto buffer = llvm::MemoryBuffer::getFile(path);
      if (!buffer)
        llvm::report_fatal_error(llvm::Twine("kiln-fuzz: cannot read ") + path);
      texts.push_back((*buffer)->getBuffer().str());
    }
    if (texts.empty())
      llvm::report_fatal_error(llvm::Twine("kiln-fuzz: no models in ") + dir);
    return texts;
  }();
  return models;
}

} // namespace detail

/// The inputs under fuzz/regressions/<target>/, sorted: each once broke the
/// promise below (fuzz/README.md lists them with their fixes).
inline std::vector<std::string> regressionInputs(llvm::StringRef target) {
  std::vector<std::string> paths;
  std::error_code ec;
  std::string dir = fuzzDir() + "/regressions/" + target.str();
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::path::extension(it->path()) != ".md")
      paths.push_back(it->path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

/// Imports one input of `target`, through files in `scratch`.
inline llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importInput(Target target, mlir::MLIRContext &context, Scratch &scratch, llvm::StringRef bytes) {
  scratch.clear();
  switch (target) {
  case Target::Onnx:
  case Target::OnnxText: {
    std::string name = target == Target::Onnx ? "model.onnx" : "model.onnxtext";
    scratch.write(name, bytes);
    return importOnnxFile(context, scratch.path(name), OnnxImportOptions());
  }
  case Target::TfjsJson: {
    auto [json, tail] = bytes.split('\0');
    scratch.write("model.json", json);
    detail::writeMadeUpShards(scratch, json, tail);
    return importTfjsModel(context, scratch.path("model.json"), TfjsImportOptions());
  }
  case Target::TfjsWeights: {
    const std::vector<std::string> &models = detail::weightModels();
    unsigned char choice = bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]);
    llvm::StringRef json = models[choice % models.size()],
                    shards = bytes.drop_front(!bytes.empty());
    // Every fixed model names these two shards (fuzz/tfjs-weights/README).
    scratch.write("model.json", json);
    scratch.write("group1-shard1of2.bin", shards.take_front(shards.size() / 2));
    scratch.write("group1-shard2of2.bin", shards.drop_front(shards.size() / 2));
    return importTfjsModel(context, scratch.path("model.json"), TfjsImportOptions());
  }
  }
  llvm_unreachable("unknown fuzz target");
}

/// "" when `result` is an outcome the importers promise; else what is wrong.
/// Runs the graph phase on a module.
inline std::string checkOutcome(llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> result) {
  if (!result) {
    std::string message = llvm::toString(result.takeError());
    if (message.empty())
      return "the importer failed with an empty message";
    // "<file>: internal error: ..." (the model's own text may say anything).
    if (llvm::StringRef(message).split(": ").second.starts_with("internal error"))
      return "the importer failed with an internal error (a converter bug): " + message;
    return "";
  }
  mlir::ModuleOp module = **result;
  if (mlir::failed(mlir::verify(module)))
    return "the importer returned a module that does not verify";
  // The graph phase may reject a module (a diagnostic), never crash.
  (void)runPipeline(module, Phase::Graph);
  return "";
}

/// One input through import and the graph phase, in a fresh context.
inline std::string runInput(Target target, Scratch &scratch, llvm::StringRef bytes) {
  std::unique_ptr<mlir::MLIRContext> context = makeContext();
  return checkOutcome(importInput(target, *context, scratch, bytes));
}

/// Replays every regression input of `target` ("onnx", ...): one line,
/// "path: what is wrong", for each that no longer gives a promised outcome.
/// `count` is set to the number of inputs replayed.
inline std::vector<std::string> replayRegressions(llvm::StringRef target, size_t &count) {
  std::vector<std::string> problems;
  std::vector<std::string> inputs = regressionInputs(target);
  count = inputs.size();
  Scratch scratch;
  for (const std::string &path : inputs) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    std::string problem =
        buffer ? runInput(*parseTarget(target), scratch, (*buffer)->getBuffer()) : "cannot read it";
    if (!problem.empty())
      problems.push_back(path + ": " + problem);
  }
  return problems;
}

} // namespace kiln::fuzz

#endif
