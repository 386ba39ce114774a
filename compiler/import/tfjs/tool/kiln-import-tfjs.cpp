//===- kiln-import-tfjs.cpp - print a TF.js graph model as Kiln IR --------===//
//
// A developer tool over importTfjsModel alone (no pipeline, no targets):
//   kiln-import-tfjs model.json [--input-shape name=1x192x192x3]...
//                    [--no-pin-batch] [--elide-weights] [--op-counts]
// Prints the imported module, the same text as
// `kilnc model.json --compile-to=import --print-weights`. What kilnc does
// not do is --op-counts: one "count op" line per op kind, to see at a glance
// what a model needs (the README's op lists, the unit tests' histograms).
// No test or script runs it. Errors are one line and exit 1.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TfjsImporter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.json>"), cl::Required);
static cl::list<std::string> inputShapes("input-shape",
                                         cl::desc("Pin an input's shape: name=1x192x192x3"));
static cl::list<std::string>
    inputValues("input-value",
                cl::desc("Fix an input's value at import: name=V[,V...] (a constant, no "
                         "longer an input)"));
static cl::opt<bool> noPinBatch("no-pin-batch",
                                cl::desc("Do not pin an unknown batch dimension to 1"));
static cl::opt<bool> elideWeights("elide-weights",
                                  cl::desc("Elide weight blobs (dense_resource) in the output"));
static cl::opt<bool> opCounts("op-counts", cl::desc("Print how many ops of each kind"));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Kiln: import a TF.js graph model\n");
  auto fail = [](const llvm::Twine &message) {
    llvm::errs() << "kiln-import-tfjs: error: " << message << "\n";
    return 1;
  };
  kiln::TfjsImportOptions options;
  options.pinBatchToOne = !noPinBatch;
  for (const std::string &spec : inputShapes)
    if (llvm::Error err = options.addInputShape(spec))
      return fail(llvm::toString(std::move(err)));
  for (const std::string &spec : inputValues)
    if (llvm::Error err = options.addInputValue(spec))
      return fail(llvm::toString(std::move(err)));

  mlir::MLIRContext context;
  context.loadDialect<mlir::func::FuncDialect, mlir::tosa::TosaDialect>();
  auto module = kiln::importTfjsModel(context, inputPath, options);
  if (!module)
    return fail(llvm::toString(module.takeError()));

  if (opCounts) {
    llvm::MapVector<llvm::StringRef, int> counts;
    (*module)->walk([&](mlir::Operation *op) {
      if (op != module->get())
        ++counts[op->getName().getStringRef()];
    });
    for (auto &[name, count] : counts)
      llvm::outs() << count << " " << name << "\n";
    return 0;
  }
  // Nothing but blobs is elided: the output must read back as Kiln IR.
  mlir::OpPrintingFlags flags;
  if (elideWeights)
    flags.elideLargeResourceString(0);
  (*module)->print(llvm::outs(), flags);
  llvm::outs() << "\n";
  return 0;
}
