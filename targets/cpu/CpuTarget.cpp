//===- CpuTarget.cpp - a model as a C static library plus header ----------===//
#include "targets/cpu/CpuTarget.h"

#include "codegen/halide/Compile.h"
#include "compiler/support/Error.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "targets/common/Progress.h"
#include "targets/common/Toolchain.h"
#include "targets/host/HostEmitter.h"
#include "targets/host/HostPlan.h"
#include "llvm/Support/FileSystem.h"

namespace kiln {

namespace {
#include "runtime/RuntimeSources.inc"

#include <algorithm>
#include <functional>
} // namespace

/// The weights as read-only data in their own object: an assembler stub that
/// includes the blob, far faster to build than a C array of 14 MB.
static llvm::Error buildWeightsObject(const toolchain::TempDir &tmp, const std::string &model,
                                      const std::vector<uint8_t> &weights,
                                      const CpuPlatform &platform, std::string &object) {
  std::string bin = tmp.file(model + ".weights.bin");
  if (auto err = toolchain::writeFile(
          bin, llvm::StringRef(reinterpret_cast<const char *>(weights.data()), weights.size())))
    return err;
  std::string sym = model + "_weights";
  std::string asmText;
  if (platform.format == ObjectFormat::MachO) {
    // Mach-O: C symbols carry a leading underscore; constant data lives in
    // __TEXT,__const; no .size, no GNU-stack note.
    asmText = ".section __TEXT,__const\n.globl _" + sym + "\n.p2align 6\n_" + sym +
              ":\n.incbin \"" + bin + "\"\n.byte 0\n";
  } else {
    asmText = ".section .rodata." + sym + ",\"a\"\n.globl " + sym + "\n.p2align 6\n" + sym +
              ":\n.incbin \"" + bin + "\"\n.byte 0\n.size " + sym + ", " +
              std::to_string(weights.size() + 1) + "\n.section .note.GNU-stack,\"\",%progbits\n";
  }
  std::string asmFile = tmp.file(model + "_weights.s");
  if (auto err = toolchain::writeFile(asmFile, asmText))
    return err;
  object = tmp.file(model + "_weights.o");
  std::vector<std::string> args = platform.asmFlags;
  args.insert(args.end(), {"-c", asmFile, "-o", object});
  return toolchain::run("clang-19", args);
}

/// A cross build's tools and headers, named with the package that brings
/// them when missing.
static llvm::Error checkCrossTools(const CpuPlatform &platform) {
  if (!platform.isCross())
    return llvm::Error::success();
  const char *headers = "/usr/aarch64-linux-gnu/include/stdlib.h";
  if (!toolchain::findTool(platform.cCompiler) || !llvm::sys::fs::exists(headers))
    return makeError("--cpu=" + platform.cpu +
                     " needs Debian's arm64 cross compiler and C headers (aarch64-linux-gnu-gcc, " +
                     headers + "): apt-get install gcc-aarch64-linux-gnu, or run scripts/setup.sh");
  return llvm::Error::success();
}

/// Compiles one C file of the artifact for the platform.
static llvm::Error compileC(const CpuPlatform &platform, const toolchain::TempDir &tmp,
                            const std::string &source, const std::string &object) {
  std::vector<std::string> args = platform.cFlags;
  args.insert(args.end(), {"-c", "-O2", "-fPIC", "-std=c11", "-I", tmp.path(), "-I",
                           KILN_HALIDE_INCLUDE_DIR, source, "-o", object});
  return toolchain::run(platform.cCompiler, args);
}

/// llvm-ar-19 in the platform's archive format.
static llvm::Error archive(const CpuPlatform &platform, const std::string &library,
                           const std::vector<std::string> &objects) {
  std::vector<std::string> args = platform.arFlags;
  args.insert(args.end(), {"rcs", library});
  args.insert(args.end(), objects.begin(), objects.end());
  return toolchain::run("llvm-ar-19", args);
}

static llvm::Error buildRuntime(const toolchain::TempDir &tmp, const CpuTargetOptions &options) {
  const CpuPlatform &platform = options.platform;
  std::string halideRt = tmp.file("halide_runtime.o");
  if (auto err = codegen::compileRuntimeObject(platform.halideTarget, halideRt))
    return err;
  // Their headers are already beside NAME.c, which includes them.
  std::vector<std::string> objects;
  for (auto [unit, text] : {std::pair{"kiln_runtime", kKilnRuntimeC}, {"kiln_host", kKilnHostC}}) {
    std::string src = tmp.file(std::string(unit) + ".c");
    if (auto err = toolchain::writeFile(src, text))
      return err;
    std::string obj = tmp.file(std::string(unit) + ".o");
    if (auto err = compileC(platform, tmp, src, obj))
      return err;
    objects.push_back(obj);
  }
  objects.push_back(halideRt);
  return archive(platform, tmp.file("libkiln_runtime.a"), objects);
}

// Kernels run one after another and free their scratch before the next
// starts, so one set of blocks serves them all: the largest blocks of all
// kernels, sorted, element by element. Any kernel's requests, sorted the
// same way, each have a block at least their size, which is what the
// runtime's best-fit reservation needs.
static void mergeScratch(std::vector<uint64_t> &merged, std::vector<uint64_t> sizes) {
  std::sort(sizes.begin(), sizes.end(), std::greater<>());
  if (merged.size() < sizes.size())
    merged.resize(sizes.size(), 0);
  for (size_t i = 0; i < sizes.size(); ++i)
    merged[i] = std::max(merged[i], sizes[i]);
}

llvm::Error emitCpuArtifact(mlir::ModuleOp module, const CpuTargetOptions &options) {
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main)
    return makeError("the module has no @main function");
  auto plan = host::planHost(main, options.modelName);
  if (!plan)
    return plan.takeError();
  if (auto err = host::checkCBoundary(*plan))
    return err;
  const std::string &m = plan->modelName;
  // Before minutes of kernel compilation: the C compiler must be there.
  if (auto err = checkCrossTools(options.platform))
    return err;
  auto tmp = toolchain::TempDir::create("kiln-cpu");
  if (!tmp)
    return tmp.takeError();

  codegen::CompileOptions compileOptions;
  std::vector<std::string> objects;
  std::vector<uint64_t> scratchPerThread, scratchOnce;
  KernelProgress progress(options.progress, plan->kernels.size());
  for (unsigned k = 0; k < plan->kernels.size(); ++k) {
    std::string object = tmp->file(plan->functionName(k) + ".o");
    auto compiled =
        codegen::compileKernelObject(plan->kernels[k], plan->functionName(k),
                                     options.platform.halideTarget, object, compileOptions);
    if (!compiled)
      return compiled.takeError();
    llvm::StringRef kernel = plan->kernels[k].getKernelName();
    std::string warning = codegen::fallbackWarning(kernel, *compiled, options.scheduleMode);
    if (!warning.empty() && options.warnings)
      *options.warnings << "warning: " << warning << "\n";
    progress.done(k, kernel, codegen::scheduleLabel(*compiled, options.scheduleMode),
                  compiled->seconds);
    objects.push_back(object);
    mergeScratch(scratchPerThread, compiled->scratch.perThread);
    mergeScratch(scratchOnce, compiled->scratch.once);
  }
  progress.finish();

  host::HostOptions hostOptions{options.sourceName, options.externalWeights};
  hostOptions.installErrorHandler = true;
  hostOptions.scratchPerThread = std::move(scratchPerThread);
  hostOptions.scratchOnce = std::move(scratchOnce);
  std::vector<std::string> published = {"lib" + m + ".a", m + ".h", "libkiln_runtime.a",
                                        "kiln_runtime.h"};
  if (auto err = toolchain::writeFile(tmp->file(m + ".h"), host::emitHeader(*plan, hostOptions)))
    return err;
  if (auto err = toolchain::writeFile(tmp->file("kiln_runtime.h"), kKilnRuntimeH))
    return err;
  // For NAME.c and the runtime only: not published, NAME.h does not need it.
  if (auto err = toolchain::writeFile(tmp->file("kiln_host.h"), kKilnHostH))
    return err;
  std::string source = tmp->file(m + ".c");
  if (auto err = toolchain::writeFile(source, host::emitSource(*plan, hostOptions)))
    return err;
  std::string hostObject = tmp->file(m + ".o");
  if (auto err = compileC(options.platform, *tmp, source, hostObject))
    return err;
  objects.push_back(hostObject);

  if (options.externalWeights) {
    if (auto err =
            toolchain::writeFile(tmp->file(m + ".weights.bin"), host::weightsFileContents(*plan)))
      return err;
    published.push_back(m + ".weights.bin");
  } else {
    std::string weightsObject;
    if (auto err = buildWeightsObject(*tmp, m, plan->weights, options.platform, weightsObject))
      return err;
    objects.push_back(weightsObject);
  }

  if (auto err = archive(options.platform, tmp->file("lib" + m + ".a"), objects))
    return err;
  if (!options.reuseRuntime.empty()) {
    if (std::error_code ec =
            llvm::sys::fs::copy_file(options.reuseRuntime, tmp->file("libkiln_runtime.a")))
      return makeError("cannot copy the runtime '" + options.reuseRuntime + "': " + ec.message());
  } else if (auto err = buildRuntime(*tmp, options)) {
    return err;
  }
  return toolchain::publish(*tmp, options.outputDir, published);
}

llvm::Error CpuTarget::checkOptions(const TargetOptions &options) const {
  auto platform = resolveCpuPlatform(options.cpu, options.cpuFeatures);
  return platform ? llvm::Error::success() : platform.takeError();
}

llvm::Expected<std::vector<codegen::ScheduleVariant>>
CpuTarget::variants(const TargetOptions &options) const {
  auto platform = resolveCpuPlatform(options.cpu, options.cpuFeatures);
  if (!platform)
    return platform.takeError();
  return std::vector<codegen::ScheduleVariant>{
      {"cpu", platform->halideTarget, /*keepAttachedRecords=*/true}};
}

llvm::Error CpuTarget::emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                            const TargetOptions &options) const {
  auto platform = resolveCpuPlatform(options.cpu, options.cpuFeatures);
  if (!platform)
    return platform.takeError();
  if (scheduled.size() != 1)
    return makeError("internal: the cpu target expects one scheduled module");
  CpuTargetOptions cpu;
  cpu.outputDir = options.outputDir;
  cpu.modelName = options.modelName;
  cpu.sourceName = options.sourceName;
  cpu.platform = *platform;
  cpu.scheduleMode = options.scheduleMode;
  cpu.externalWeights = options.externalWeights;
  cpu.reuseRuntime = options.reuseRuntime;
  cpu.progress = options.progress;
  cpu.warnings = options.warnings;
  return emitCpuArtifact(scheduled[0], cpu);
}

} // namespace kiln
