//===- kiln-wasm-compile.cpp - the WASM target, without the driver --------===//
//
// A test harness for test/web until kilnc's --target=wasm is wired: loads a
// model as kilnc does, runs the pipeline to phase kernels and calls
// emitWasmArtifact, printing the size report.
//
//   kiln-wasm-compile model.onnx -o out/ [--name N] [--weights=external]
//                     [--no-fallback] [--kernel-checks]
//                     [--input-shape name=1x3x224x224]...
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Driver.h"
#include "targets/wasm/WasmTarget.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"

using namespace llvm;

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::OptionCategory category("kiln-wasm-compile options");
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.mlir>"), cl::Required,
                             cl::cat(category));
  cl::opt<std::string> output("o", cl::desc("Output directory"), cl::Required, cl::cat(category));
  cl::opt<std::string> name("name", cl::desc("Model name (default: the file's stem)"),
                            cl::cat(category));
  cl::opt<std::string> weights("weights", cl::desc("embedded (default) or external"),
                               cl::init("embedded"), cl::cat(category));
  cl::opt<bool> noFallback("no-fallback", cl::desc("Build no module without SIMD"),
                           cl::cat(category));
  cl::opt<bool> kernelChecks(
      "kernel-checks", cl::desc("Keep Halide's buffer checks in the kernels"), cl::cat(category));
  cl::list<std::string> inputShape("input-shape", cl::desc("Pin an input's shape"),
                                   cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "kiln-wasm-compile: a model to WebAssembly\n");

  auto fail = [](const Twine &message) {
    errs() << "kiln-wasm-compile: error: " << message << "\n";
    return 1;
  };
  if (weights != "embedded" && weights != "external")
    return fail("--weights must be embedded or external, got '" + weights + "'");

  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  kiln::DriverOptions driverOptions;
  driverOptions.inputPath = input;
  driverOptions.inputShapes = inputShape;
  auto module = kiln::loadModel(context, driverOptions);
  if (!module)
    return fail(toString(module.takeError()));
  if (mlir::failed(kiln::runPipeline(**module, kiln::Phase::Kernels)))
    return fail("compilation failed before phase artifact");

  kiln::WasmTargetOptions options;
  options.outputDir = output;
  options.modelName = name.empty() ? sys::path::stem(input).str() : name.getValue();
  options.sourceName = sys::path::filename(input).str();
  options.externalWeights = weights == "external";
  options.fallback = !noFallback;
  options.kernelChecks = kernelChecks;
  options.sizeReport = &outs();
  if (Error err = kiln::emitWasmArtifact(**module, options))
    return fail(toString(std::move(err)));
  return 0;
}
