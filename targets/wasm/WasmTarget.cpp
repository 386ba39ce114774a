//===- WasmTarget.cpp - a model as a WebAssembly module plus ES loader ----===//
#include "targets/wasm/WasmTarget.h"

#include "codegen/Compile.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "targets/common/Toolchain.h"
#include "targets/host/HostPlan.h"
#include "targets/wasm/LoaderEmitter.h"
#include "targets/wasm/SizeReport.h"
#include "targets/wasm/WasmLink.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

namespace kiln {

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static llvm::Expected<std::string> readFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return error("cannot read '" + path + "': " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

/// Compiles the kernels and Halide's runtime for one Halide target and links
/// them with the host code into `wasmPath`.
static llvm::Error buildModule(const host::HostPlan &plan, const WasmTargetOptions &options,
                               const toolchain::TempDir &tmp, bool simd,
                               const std::string &wasmPath) {
  std::string dir = tmp.file(simd ? "simd" : "nosimd");
  if (auto ec = llvm::sys::fs::create_directories(dir))
    return error("cannot create '" + dir + "': " + ec.message());
  std::string runtimeTarget = simd ? kWasmSimdHalideTarget : kWasmHalideTarget;
  std::string halideTarget = runtimeTarget;
  if (!options.kernelChecks)
    halideTarget += "-no_asserts-no_bounds_query";
  wasm::LinkInputs in;
  in.plan = &plan;
  in.sourceName = options.sourceName;
  in.simd = simd;
  in.externalWeights = options.externalWeights;
  in.wasmOpt = options.wasmOpt;
  for (unsigned k = 0; k < plan.kernels.size(); ++k) {
    std::string object = dir + "/" + plan.functionName(k) + ".o";
    auto compiled =
        codegen::compileKernelObject(plan.kernels[k], plan.functionName(k), halideTarget, object);
    if (!compiled)
      return compiled.takeError();
    in.kernelObjects.push_back(object);
  }
  in.halideRuntimeObject = dir + "/halide_runtime.o";
  if (auto err = codegen::compileRuntimeObject(runtimeTarget, in.halideRuntimeObject))
    return err;
  return wasm::linkModule(in, dir, wasmPath);
}

llvm::Error emitWasmArtifact(mlir::ModuleOp module, const WasmTargetOptions &options) {
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main)
    return error("the module has no @main function");
  auto plan = host::planHost(main, options.modelName);
  if (!plan)
    return plan.takeError();
  const std::string &m = plan->modelName;
  auto tmp = toolchain::TempDir::create("kiln-wasm");
  if (!tmp)
    return tmp.takeError();

  std::vector<std::string> published;
  auto emit = [&](const std::string &file, llvm::StringRef text) {
    published.push_back(file);
    return toolchain::writeFile(tmp->file(file), text);
  };
  llvm::StringRef weights(reinterpret_cast<const char *>(plan->weights.data()),
                          plan->weights.size());

  std::string simdFile = wasm::simdWasmFile(m), fallbackFile = wasm::fallbackWasmFile(m);
  if (auto err = buildModule(*plan, options, *tmp, /*simd=*/true, tmp->file(simdFile)))
    return err;
  published.push_back(simdFile);
  if (options.fallback) {
    if (auto err = buildModule(*plan, options, *tmp, /*simd=*/false, tmp->file(fallbackFile)))
      return err;
    published.push_back(fallbackFile);
  }
  if (options.externalWeights)
    if (auto err = emit(wasm::weightsFile(m), weights))
      return err;
  wasm::LoaderOptions loaderOptions{options.sourceName, options.externalWeights, options.fallback};
  std::string loader = wasm::emitLoader(*plan, loaderOptions);
  std::string types = wasm::emitTypes(*plan, loaderOptions);
  if (auto err = emit(m + ".mjs", loader))
    return err;
  if (auto err = emit(m + ".d.ts", types))
    return err;

  // The size report, from the files as they will be published.
  wasm::SizeReport report;
  report.model = m;
  report.weightsEmbedded = !options.externalWeights;
  llvm::StringRef embedded = options.externalWeights ? llvm::StringRef() : weights;
  auto simdModule = readFile(tmp->file(simdFile));
  if (!simdModule)
    return simdModule.takeError();
  auto code = wasm::measureCode(*simdModule, embedded);
  auto weightBytes = wasm::measure(weights);
  auto js = wasm::measure(loader);
  auto typeBytes = wasm::measure(types);
  if (!code || !weightBytes || !js || !typeBytes)
    return llvm::joinErrors(llvm::joinErrors(code.takeError(), weightBytes.takeError()),
                            llvm::joinErrors(js.takeError(), typeBytes.takeError()));
  report.code = *code;
  report.weights = *weightBytes;
  report.js = *js;
  report.types = *typeBytes;
  if (options.fallback) {
    auto fallbackModule = readFile(tmp->file(fallbackFile));
    if (!fallbackModule)
      return fallbackModule.takeError();
    auto fallbackCode = wasm::measureCode(*fallbackModule, embedded);
    if (!fallbackCode)
      return fallbackCode.takeError();
    report.fallbackCode = *fallbackCode;
  }
  if (auto err = emit(m + ".size.json", wasm::toJson(report)))
    return err;
  if (auto err = toolchain::publish(*tmp, options.outputDir, published))
    return err;
  if (options.sizeReport)
    wasm::print(report, *options.sizeReport);
  return llvm::Error::success();
}

} // namespace kiln
