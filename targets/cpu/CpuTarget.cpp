//===- CpuTarget.cpp - a model as a C static library plus header ----------===//
#include "targets/cpu/CpuTarget.h"

#include "codegen/halide/Compile.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "targets/common/Progress.h"
#include "targets/common/Toolchain.h"
#include "targets/host/HostEmitter.h"
#include "targets/host/HostPlan.h"

namespace kiln {

namespace {
#include "runtime/RuntimeSources.inc"

#include <algorithm>
#include <functional>
} // namespace

static llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<std::string> halideTargetForCpuFeatures(llvm::StringRef features) {
  // A sanitizer suffix instruments everything the artifact holds: Halide's
  // tsan/asan features for the kernels and its runtime, -fsanitize for the
  // C (test/e2e/threads.test.mjs links it into a program built with TSan).
  std::string sanitizer;
  for (llvm::StringRef suffix : {"-tsan", "-asan"})
    if (features.consume_back(suffix))
      sanitizer = suffix.str();
  std::string target;
  if (features.empty() || features == "host")
    target = "host";
  else if (features == "sse41")
    target = "x86-64-linux-sse41";
  else if (features == "avx2")
    target = "x86-64-linux-avx-avx2-f16c-fma-sse41";
  else if (features == "avx512")
    target = "x86-64-linux-avx-avx2-f16c-fma-sse41-avx512-avx512_skylake";
  else
    return error("unknown --cpu-features '" + features +
                 "' (expected host, sse41, avx2 or avx512, optionally with -tsan or -asan)");
  return target + sanitizer;
}

/// The clang flags that match a Halide target's sanitizer feature.
static std::vector<std::string> sanitizerFlags(llvm::StringRef halideTarget) {
  if (halideTarget.ends_with("-tsan"))
    return {"-fsanitize=thread", "-g"};
  if (halideTarget.ends_with("-asan"))
    return {"-fsanitize=address", "-g"};
  return {};
}

/// The weights as read-only data in their own object: an assembler stub that
/// includes the blob, far faster to build than a C array of 14 MB.
static llvm::Error buildWeightsObject(const toolchain::TempDir &tmp, const std::string &model,
                                      const std::vector<uint8_t> &weights, std::string &object) {
  std::string bin = tmp.file(model + ".weights.bin");
  if (auto err = toolchain::writeFile(
          bin, llvm::StringRef(reinterpret_cast<const char *>(weights.data()), weights.size())))
    return err;
  std::string sym = model + "_weights";
  std::string asmText = ".section .rodata." + sym + ",\"a\"\n.globl " + sym + "\n.p2align 6\n" +
                        sym + ":\n.incbin \"" + bin + "\"\n.byte 0\n.size " + sym + ", " +
                        std::to_string(weights.size() + 1) +
                        "\n.section .note.GNU-stack,\"\",@progbits\n";
  std::string asmFile = tmp.file(model + "_weights.s");
  if (auto err = toolchain::writeFile(asmFile, asmText))
    return err;
  object = tmp.file(model + "_weights.o");
  return toolchain::run("clang-19", {"-c", asmFile, "-o", object});
}

static llvm::Error buildRuntime(const toolchain::TempDir &tmp, const CpuTargetOptions &options) {
  std::string halideRt = tmp.file("halide_runtime.o");
  if (auto err = codegen::compileRuntimeObject(options.halideTarget, halideRt))
    return err;
  // Their headers are already beside NAME.c, which includes them.
  std::vector<std::string> arArgs = {"rcs", tmp.file("libkiln_runtime.a")};
  for (auto [unit, text] : {std::pair{"kiln_runtime", kKilnRuntimeC}, {"kiln_host", kKilnHostC}}) {
    std::string src = tmp.file(std::string(unit) + ".c");
    if (auto err = toolchain::writeFile(src, text))
      return err;
    std::string obj = tmp.file(std::string(unit) + ".o");
    std::vector<std::string> args = {
        "-c", "-O2", "-fPIC", "-I", tmp.path(), "-I", KILN_HALIDE_INCLUDE_DIR, src, "-o", obj};
    for (const std::string &flag : sanitizerFlags(options.halideTarget))
      args.push_back(flag);
    if (auto err = toolchain::run("clang-19", args))
      return err;
    arArgs.push_back(obj);
  }
  arArgs.push_back(halideRt);
  return toolchain::run("llvm-ar-19", arArgs);
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
    return error("the module has no @main function");
  auto plan = host::planHost(main, options.modelName);
  if (!plan)
    return plan.takeError();
  if (auto err = host::checkCBoundary(*plan))
    return err;
  const std::string &m = plan->modelName;
  auto tmp = toolchain::TempDir::create("kiln-cpu");
  if (!tmp)
    return tmp.takeError();

  codegen::CompileOptions compileOptions;
  std::vector<std::string> objects;
  std::vector<uint64_t> scratchPerThread, scratchOnce;
  KernelProgress progress(options.progress, plan->kernels.size());
  for (unsigned k = 0; k < plan->kernels.size(); ++k) {
    std::string object = tmp->file(plan->functionName(k) + ".o");
    auto compiled = codegen::compileKernelObject(plan->kernels[k], plan->functionName(k),
                                                 options.halideTarget, object, compileOptions);
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
  std::vector<std::string> hostArgs = {"-c",   "-O2",       "-fPIC",   "-std=c11",
                                       "-I",   tmp->path(), "-I",      KILN_HALIDE_INCLUDE_DIR,
                                       source, "-o",        hostObject};
  for (const std::string &flag : sanitizerFlags(options.halideTarget))
    hostArgs.push_back(flag);
  if (auto err = toolchain::run("clang-19", hostArgs))
    return err;
  objects.push_back(hostObject);

  if (options.externalWeights) {
    if (auto err =
            toolchain::writeFile(tmp->file(m + ".weights.bin"), host::weightsFileContents(*plan)))
      return err;
    published.push_back(m + ".weights.bin");
  } else {
    std::string weightsObject;
    if (auto err = buildWeightsObject(*tmp, m, plan->weights, weightsObject))
      return err;
    objects.push_back(weightsObject);
  }

  std::vector<std::string> arArgs = {"rcs", tmp->file("lib" + m + ".a")};
  arArgs.insert(arArgs.end(), objects.begin(), objects.end());
  if (auto err = toolchain::run("llvm-ar-19", arArgs))
    return err;
  if (auto err = buildRuntime(*tmp, options))
    return err;
  return toolchain::publish(*tmp, options.outputDir, published);
}

llvm::Error CpuTarget::checkOptions(const TargetOptions &options) const {
  auto target = halideTargetForCpuFeatures(options.cpuFeatures);
  return target ? llvm::Error::success() : target.takeError();
}

llvm::Expected<std::vector<codegen::ScheduleVariant>>
CpuTarget::variants(const TargetOptions &options) const {
  auto target = halideTargetForCpuFeatures(options.cpuFeatures);
  if (!target)
    return target.takeError();
  return std::vector<codegen::ScheduleVariant>{{"cpu", *target, /*keepAttachedRecords=*/true}};
}

llvm::Error CpuTarget::emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                            const TargetOptions &options) const {
  auto variants = this->variants(options);
  if (!variants)
    return variants.takeError();
  if (scheduled.size() != variants->size())
    return error("internal: the cpu target expects one scheduled module");
  CpuTargetOptions cpu;
  cpu.outputDir = options.outputDir;
  cpu.modelName = options.modelName;
  cpu.sourceName = options.sourceName;
  cpu.halideTarget = (*variants)[0].halideTarget;
  cpu.scheduleMode = options.scheduleMode;
  cpu.externalWeights = options.externalWeights;
  cpu.progress = options.progress;
  cpu.warnings = options.warnings;
  return emitCpuArtifact(scheduled[0], cpu);
}

} // namespace kiln
