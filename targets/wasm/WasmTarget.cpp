//===- WasmTarget.cpp - a model as a WebAssembly module plus ES loader ----===//
#include "targets/wasm/WasmTarget.h"

#include "codegen/halide/Compile.h"
#include "compiler/support/Error.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "targets/common/Progress.h"
#include "targets/common/Toolchain.h"
#include "targets/host/HostEmitter.h"
#include "targets/host/HostPlan.h"
#include "targets/wasm/LoaderEmitter.h"
#include "targets/wasm/RelaxedSimd.h"
#include "targets/wasm/SizeReport.h"
#include "targets/wasm/WasmBinary.h"
#include "targets/wasm/WasmLink.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <optional>

namespace kiln {

static llvm::Expected<std::string> readFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return makeError("cannot read '" + path + "': " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

/// One module: the plan of the model as scheduled for the flavour, its
/// kernels and Halide's runtime compiled for the flavour's target, all linked
/// into `wasmPath`. Returns the plan without its kernels (they belong to the
/// scheduled module), for the loader and the size report.
namespace {
/// The three modules a model can have.
enum class Flavour { Simd, NoSimd, Threads };
} // namespace

static const char *flavourName(Flavour f) {
  return f == Flavour::Simd ? "simd" : f == Flavour::NoSimd ? "nosimd" : "threads";
}

static llvm::Expected<host::HostPlan>
buildModule(mlir::ModuleOp module, const WasmTargetOptions &options, const toolchain::TempDir &tmp,
            Flavour flavour, const std::string &wasmPath, const std::string &relaxedPath = "") {
  bool simd = flavour != Flavour::NoSimd;
  std::string runtimeTarget = flavour == Flavour::Simd     ? kWasmSimdHalideTarget
                              : flavour == Flavour::NoSimd ? kWasmHalideTarget
                                                           : kWasmThreadsHalideTarget;
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main)
    return makeError("the module has no @main function");
  auto plan = host::planHost(main, options.modelName);
  if (!plan)
    return plan.takeError();
  if (auto err = host::checkCBoundary(*plan))
    return std::move(err);
  // A bad --input-image fails here, before any kernel is compiled.
  std::optional<wasm::ImageAdapterPlan> adapter;
  if (!options.image.input.empty()) {
    auto planned = wasm::planImageAdapter(options.image, *plan);
    if (!planned)
      return planned.takeError();
    adapter = std::move(*planned);
  }

  std::string dir = tmp.file(flavourName(flavour));
  if (auto ec = llvm::sys::fs::create_directories(dir))
    return makeError("cannot create '" + dir + "': " + ec.message());
  std::string halideTarget = runtimeTarget;
  if (!options.kernelChecks)
    halideTarget += "-no_asserts-no_bounds_query";
  wasm::LinkInputs in;
  in.plan = &*plan;
  in.sourceName = options.sourceName;
  in.simd = simd;
  in.threads = flavour == Flavour::Threads;
  in.externalWeights = options.externalWeights;
  codegen::CompileOptions compileOptions;
  // The relaxed twin: the same lowering's bitcode, rewritten (RelaxedSimd.h).
  std::vector<std::string> relaxedObjects;
  KernelProgress progress(options.progress, plan->kernels.size(), flavourName(flavour));
  for (unsigned k = 0; k < plan->kernels.size(); ++k) {
    std::string object = dir + "/" + plan->functionName(k) + ".o";
    std::string bitcode = dir + "/" + plan->functionName(k) + ".bc";
    compileOptions.bitcodePath = relaxedPath.empty() ? "" : bitcode;
    auto compiled = codegen::compileKernelObject(plan->kernels[k], plan->functionName(k),
                                                 halideTarget, object, compileOptions);
    if (!compiled)
      return compiled.takeError();
    llvm::StringRef kernel = plan->kernels[k].getKernelName();
    std::string warning = codegen::fallbackWarning(kernel, *compiled, options.scheduleMode);
    if (!warning.empty() && options.warnings)
      *options.warnings << "warning: " << warning
                        << (flavour == Flavour::Simd
                                ? ""
                                : " (" + std::string(flavourName(flavour)) + " module)")
                        << "\n";
    progress.done(k, kernel, codegen::scheduleLabel(*compiled, options.scheduleMode),
                  compiled->seconds);
    in.kernelObjects.push_back(object);
    if (!relaxedPath.empty()) {
      std::string relaxed = dir + "/" + plan->functionName(k) + ".relaxed.o";
      auto fused = wasm::compileRelaxedKernel(
          bitcode, dir + "/" + plan->functionName(k) + ".relaxed.bc", relaxed);
      if (!fused)
        return fused.takeError();
      relaxedObjects.push_back(relaxed);
    }
  }
  progress.finish();
  if (adapter) {
    in.imageAdapterObject = dir + "/image_adapter_halide.o";
    if (auto err = wasm::compileImageAdapter(*adapter, halideTarget, in.imageAdapterObject))
      return std::move(err);
    in.imageAdapterGlue = wasm::imageAdapterGlue(*adapter);
  }
  in.halideRuntimeObject = dir + "/halide_runtime.o";
  if (auto err = codegen::compileRuntimeObject(runtimeTarget, in.halideRuntimeObject))
    return std::move(err);
  if (auto err = wasm::linkModule(in, dir, wasmPath))
    return std::move(err);
  if (!relaxedPath.empty()) {
    in.kernelObjects = relaxedObjects;
    std::string relaxedDir = dir + "/relaxed";
    if (auto ec = llvm::sys::fs::create_directories(relaxedDir))
      return makeError("cannot create '" + relaxedDir + "': " + ec.message());
    if (auto err = wasm::linkModule(in, relaxedDir, relaxedPath))
      return std::move(err);
  }
  plan->kernels.clear();
  return plan;
}

/// Both modules serve one loader and one weights file: they must agree.
static llvm::Error checkSameInterface(const host::HostPlan &a, const host::HostPlan &b) {
  auto same = [](const std::vector<host::TensorDesc> &x, const std::vector<host::TensorDesc> &y) {
    if (x.size() != y.size())
      return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].name != y[i].name || x[i].shape != y[i].shape ||
          llvm::StringRef(x[i].element.dtype) != y[i].element.dtype)
        return false;
    return true;
  };
  if (!same(a.inputs, b.inputs) || !same(a.outputs, b.outputs) || a.weights != b.weights)
    return makeError("internal: the SIMD and fallback modules differ in their inputs, outputs or "
                     "weights");
  return llvm::Error::success();
}

/// The size report, from the files as they will be published.
static llvm::Expected<wasm::SizeReport>
measureArtifact(const host::HostPlan &plan, const WasmTargetOptions &options,
                const toolchain::TempDir &tmp, llvm::StringRef loader, llvm::StringRef types) {
  const std::string &m = plan.modelName;
  wasm::SizeReport report;
  report.model = m;
  report.weightsEmbedded = !options.externalWeights;
  // External weights are shipped as NAME.weights.bin, header included.
  std::string file = options.externalWeights ? host::weightsFileContents(plan) : std::string();
  llvm::StringRef weights =
      options.externalWeights ? llvm::StringRef(file)
                              : llvm::StringRef(reinterpret_cast<const char *>(plan.weights.data()),
                                                plan.weights.size());
  llvm::StringRef embedded = options.externalWeights ? llvm::StringRef() : weights;
  auto codeOf = [&](const std::string &file) -> llvm::Expected<wasm::Bytes> {
    auto module = readFile(tmp.file(file));
    if (!module)
      return module.takeError();
    return wasm::measureCode(*module, embedded);
  };
  auto code = codeOf(wasm::simdWasmFile(m));
  if (!code)
    return code.takeError();
  report.code = *code;
  if (options.fallback) {
    auto fallbackCode = codeOf(wasm::fallbackWasmFile(m));
    if (!fallbackCode)
      return fallbackCode.takeError();
    report.fallbackCode = *fallbackCode;
  }
  for (auto [text, into] : {std::pair(weights, &report.weights), std::pair(loader, &report.js),
                            std::pair(types, &report.types)}) {
    auto bytes = wasm::measure(text);
    if (!bytes)
      return bytes.takeError();
    *into = *bytes;
  }
  return report;
}

/// The threaded module (and its relaxed twin) from `module`: appends their
/// files to `published` and the pages their memory needs to `threads`.
static llvm::Expected<host::HostPlan>
buildThreadsModule(mlir::ModuleOp module, const WasmTargetOptions &options,
                   const toolchain::TempDir &tmp, llvm::StringRef name,
                   std::vector<std::string> &published, wasm::ThreadsInfo &threads) {
  published.push_back(wasm::threadsWasmFile(name));
  std::string path = tmp.file(published.back());
  std::string relaxedThreads;
  if (options.relaxedSimd) {
    published.push_back(wasm::relaxedThreadsWasmFile(name));
    relaxedThreads = tmp.file(published.back());
  }
  auto threaded = buildModule(module, options, tmp, Flavour::Threads, path, relaxedThreads);
  if (!threaded)
    return threaded.takeError();
  // One memory serves whichever threaded module the loader picks.
  for (const std::string &file : {path, relaxedThreads}) {
    if (file.empty())
      continue;
    auto bytes = readFile(file);
    if (!bytes)
      return bytes.takeError();
    auto pages = wasm::importedMemoryPages(*bytes);
    if (!pages)
      return pages.takeError();
    threads.initialPages = std::max<uint64_t>(threads.initialPages, *pages);
  }
  return threaded;
}

llvm::Error emitWasmArtifact(mlir::ModuleOp simdModule, mlir::ModuleOp fallbackModule,
                             mlir::ModuleOp threadsModule, const WasmTargetOptions &options) {
  std::string name = host::sanitizeModelName(options.modelName);
  auto tmp = toolchain::TempDir::create("kiln-wasm");
  if (!tmp)
    return tmp.takeError();
  if (!threadsModule)
    threadsModule = simdModule;
  std::vector<std::string> published;
  wasm::ThreadsInfo threads;
  std::optional<host::HostPlan> plan;
  if (options.threadsOnly) {
    auto threaded = buildThreadsModule(threadsModule, options, *tmp, name, published, threads);
    if (!threaded)
      return threaded.takeError();
    plan = std::move(*threaded);
  } else {
    published.push_back(wasm::simdWasmFile(name));
    std::string relaxedPath;
    if (options.relaxedSimd) {
      published.push_back(wasm::relaxedWasmFile(name));
      relaxedPath = tmp->file(published.back());
    }
    auto simd = buildModule(simdModule, options, *tmp, Flavour::Simd, tmp->file(published.front()),
                            relaxedPath);
    if (!simd)
      return simd.takeError();
    plan = std::move(*simd);
  }
  if (options.fallback) {
    published.push_back(wasm::fallbackWasmFile(name));
    if (!fallbackModule)
      return makeError("internal: no module scheduled for the fallback");
    auto fallback =
        buildModule(fallbackModule, options, *tmp, Flavour::NoSimd, tmp->file(published.back()));
    if (!fallback)
      return fallback.takeError();
    if (auto err = checkSameInterface(*plan, *fallback))
      return err;
  }

  // The threaded module: its own schedules where the driver gave them (a
  // tuning database's records for a pool of workers), else the SIMD
  // module's (their parallel loops now run on workers), compiled for
  // wasm_threads.
  if (options.threads && !options.threadsOnly) {
    auto threaded = buildThreadsModule(threadsModule, options, *tmp, name, published, threads);
    if (!threaded)
      return threaded.takeError();
    if (auto err = checkSameInterface(*plan, *threaded))
      return err;
  }

  auto emit = [&](const std::string &file, llvm::StringRef text) {
    published.push_back(file);
    return toolchain::writeFile(tmp->file(file), text);
  };
  if (options.externalWeights)
    if (auto err = emit(wasm::weightsFile(name), host::weightsFileContents(*plan)))
      return err;
  wasm::LoaderOptions loaderOptions{options.sourceName, options.externalWeights, options.fallback,
                                    options.threads ? &threads : nullptr};
  loaderOptions.relaxed = options.relaxedSimd;
  std::optional<wasm::ImageAdapterPlan> image;
  if (!options.image.input.empty()) {
    auto adapter = wasm::planImageAdapter(options.image, *plan);
    if (!adapter)
      return adapter.takeError();
    image = std::move(*adapter);
    loaderOptions.image = &*image;
  }
  if (loaderOptions.threads)
    if (auto err = emit(wasm::workerFile(name), wasm::emitWorker(*plan, loaderOptions)))
      return err;
  std::string loader = wasm::emitLoader(*plan, loaderOptions);
  std::string types = wasm::emitTypes(*plan, loaderOptions);
  if (auto err = emit(name + ".mjs", loader))
    return err;
  if (auto err = emit(name + ".d.ts", types))
    return err;
  // An image model's outputs are decoded in the page: kiln-vision beside it.
  if (image) {
    if (auto err = emit("kiln-vision.mjs", wasm::visionModule()))
      return err;
    if (auto err = emit("kiln-vision.d.ts", wasm::visionTypes()))
      return err;
  }
  if (options.threadsOnly)
    return toolchain::publish(*tmp, options.outputDir, published);
  auto report = measureArtifact(*plan, options, *tmp, loader, types);
  if (!report)
    return report.takeError();
  if (auto err = emit(name + ".size.json", wasm::toJson(*report)))
    return err;
  if (auto err = toolchain::publish(*tmp, options.outputDir, published))
    return err;
  if (options.sizeReport)
    wasm::print(*report, *options.sizeReport);
  return llvm::Error::success();
}

/// Checks the adapter's options before any compiling.
static llvm::Expected<wasm::ImageAdapterSpec> imageSpec(const TargetOptions &options) {
  return wasm::parseImageAdapter(options.inputImage, options.normalize, options.fit, options.resize,
                                 options.pad);
}

llvm::Error WasmTarget::checkOptions(const TargetOptions &options) const {
  if (auto err = Target::checkOptions(options))
    return err;
  auto spec = imageSpec(options);
  return spec ? llvm::Error::success() : spec.takeError();
}

llvm::Expected<std::vector<codegen::ScheduleVariant>>
WasmTarget::variants(const TargetOptions &options) const {
  // Records already attached (a tuning database's) were chosen for SIMD; the
  // fallback replaces them with its own.
  std::vector<codegen::ScheduleVariant> variants;
  if (!options.wasmThreadsOnly)
    variants.push_back({"simd", kWasmSimdHalideTarget, /*keepAttachedRecords=*/true});
  if (options.wasmFallback && !options.wasmThreadsOnly)
    variants.push_back({"nosimd", kWasmHalideTarget, /*keepAttachedRecords=*/false});
  // The threaded module's own schedules (a tuning database's records for a
  // pool of workers: TargetOptions::wasmThreadsSchedules), last.
  if (options.wasmThreadsOnly || (options.wasmThreads && options.wasmThreadsSchedules))
    variants.push_back({"threads", kWasmThreadsHalideTarget, /*keepAttachedRecords=*/true});
  return variants;
}

llvm::Error WasmTarget::emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                             const TargetOptions &options) const {
  auto variants = this->variants(options);
  if (!variants)
    return variants.takeError();
  if (scheduled.size() != variants->size())
    return makeError("internal: the wasm target expects one scheduled module per variant");
  auto scheduledFor = [&](llvm::StringRef variant) {
    for (size_t i = 0; i < variants->size(); ++i)
      if ((*variants)[i].name == variant)
        return scheduled[i];
    return mlir::ModuleOp();
  };
  WasmTargetOptions wasm;
  wasm.outputDir = options.outputDir;
  wasm.modelName = options.modelName;
  wasm.sourceName = options.sourceName;
  wasm.externalWeights = options.externalWeights;
  wasm.fallback = options.wasmFallback && !options.wasmThreadsOnly;
  wasm.threads = options.wasmThreads || options.wasmThreadsOnly;
  wasm.threadsOnly = options.wasmThreadsOnly;
  wasm.relaxedSimd = options.wasmRelaxedSimd;
  wasm.kernelChecks = options.kernelChecks;
  auto spec = imageSpec(options);
  if (!spec)
    return spec.takeError();
  wasm.image = std::move(*spec);
  wasm.scheduleMode = options.scheduleMode;
  wasm.sizeReport = options.sizeReport;
  wasm.progress = options.progress;
  wasm.warnings = options.warnings;
  return emitWasmArtifact(scheduledFor("simd"), scheduledFor("nosimd"), scheduledFor("threads"),
                          wasm);
}

} // namespace kiln
