//===- SpirvTarget.cpp - a model as Vulkan compute modules plus a C host --===//
#include "targets/spirv/SpirvTarget.h"

#include "compiler/support/Error.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "targets/common/Progress.h"
#include "targets/common/Toolchain.h"
#include "targets/host/HostPlan.h"
#include "targets/spirv/KernelToSpirv.h"
#include "targets/spirv/SpirvHost.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace kiln {

namespace {
#include "runtime/RuntimeSources.inc"
#include "targets/spirv/VulkanRuntimeSources.inc"
} // namespace

llvm::Error SpirvTarget::checkOptions(const TargetOptions &options) const {
  if (options.cpuFeatures != "host")
    return makeError("--cpu-features is for the cpu target, not spirv");
  if (options.vulkan != "1.0" && options.vulkan != "1.1")
    return makeError("unknown --vulkan '" + options.vulkan + "' (expected 1.0 or 1.1)");
  if (options.externalWeights)
    return makeError("--weights=external is not supported by the spirv target yet (weights are "
                     "linked into libNAME.a)");
  return llvm::Error::success();
}

llvm::Expected<std::vector<codegen::ScheduleVariant>>
SpirvTarget::variants(const TargetOptions &options) const {
  if (auto err = checkOptions(options))
    return std::move(err);
  return std::vector<codegen::ScheduleVariant>{{"spirv", "spirv", /*keepAttachedRecords=*/true}};
}

/// libkiln_runtime_vulkan.a from the runtime's sources embedded in kilnc
/// (runtime/vulkan), with kiln_runtime.h beside its header.
static llvm::Error buildRuntime(const toolchain::TempDir &tmp) {
  std::string dir = tmp.file("vkrt");
  std::vector<std::string> arArgs = {"rcs", tmp.file("libkiln_runtime_vulkan.a")};
  if (auto err = toolchain::writeFile(tmp.file("kiln_runtime.h"), kKilnRuntimeH))
    return err;
  for (const auto &[name, text] : kVulkanRuntimeFiles) {
    if (auto err = toolchain::writeFile(tmp.file(name), text))
      return err;
  }
  for (const auto &[name, text] : kVulkanRuntimeFiles) {
    llvm::StringRef file(name);
    if (!file.ends_with(".c"))
      continue;
    std::string object = tmp.file((file.drop_back(2) + ".o").str());
    if (auto err = toolchain::run("clang-19", {"-c", "-O2", "-fPIC", "-std=c11", "-I", tmp.path(),
                                               tmp.file(name), "-o", object}))
      return err;
    arArgs.push_back(object);
  }
  return toolchain::run("llvm-ar-19", arArgs);
}

/// The weights as read-only data: an assembler stub that includes the blob.
static llvm::Error weightsObject(const toolchain::TempDir &tmp, const host::HostPlan &plan,
                                 std::string &object) {
  std::string bin = tmp.file(plan.modelName + ".weights.bin"), sym = plan.modelName + "_weights";
  if (auto err = toolchain::writeFile(
          bin, llvm::StringRef(reinterpret_cast<const char *>(plan.weights.data()),
                               plan.weights.size())))
    return err;
  std::string text = ".section .rodata." + sym + ",\"a\"\n.globl " + sym + "\n.p2align 8\n" + sym +
                     ":\n.incbin \"" + bin + "\"\n.section .note.GNU-stack,\"\",@progbits\n";
  std::string source = tmp.file(sym + ".s");
  if (auto err = toolchain::writeFile(source, text))
    return err;
  object = tmp.file(sym + ".o");
  return toolchain::run("clang-19", {"-c", source, "-o", object});
}

llvm::Error SpirvTarget::emit(llvm::ArrayRef<mlir::ModuleOp> scheduled,
                              const TargetOptions &options) const {
  if (scheduled.size() != 1)
    return makeError("internal: the spirv target expects one scheduled module");
  mlir::ModuleOp module = scheduled[0];
  auto main = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!main)
    return makeError("the module has no @main function");
  auto plan = host::planHost(main, options.modelName, spirv::kVkAlign);
  if (!plan)
    return plan.takeError();
  // Its Vulkan host records the calls in order into one command buffer.
  if (plan->hasControlFlow())
    for (const host::HostStep &step : plan->steps)
      if (step.kind == host::HostStep::If || step.kind == host::HostStep::Loop)
        return makeError((step.kind == host::HostStep::If
                              ? "node '" + step.label + "' (If)"
                              : "node '" + plan->loops[step.index].label + "' (Loop)") +
                         " runs on a condition or trip count known only at run time; the spirv "
                         "target does not branch or loop on the host yet (docs/CONTROL_FLOW.md)");
  if (auto err = host::checkCBoundary(*plan))
    return err;
  // Random ops read the context's state (host::BufferRef::Rng), which the
  // Vulkan host does not bind: the first one is named.
  if (plan->usesRandom)
    for (const host::KernelCall &call : plan->calls)
      for (const host::BufferRef &arg : call.args)
        if (arg.kind == host::BufferRef::Rng)
          return makeError("kernel '" + call.label + "' samples random numbers (a random op: " +
                           "TF.js Random*/Multinomial, ONNX Random*/Bernoulli/Multinomial); the " +
                           "spirv target does not support random ops");
  // Vulkan 1.0-1.3 and MLIR's SPIR-V conversion have no bfloat16 (lavapipe
  // reports shaderInt16/Int64/Float64, which the other dtypes need).
  for (const auto *tensors : {&plan->inputs, &plan->outputs})
    for (const host::TensorDesc &t : *tensors)
      if (t.element.type == DType::BF16)
        return makeError("'" + t.name +
                         "' has element type bfloat16, which the spirv target does " +
                         "not take (Vulkan has no bfloat16 type); the cpu and wasm targets do");
  // The Vulkan runtime validates a model by its kernels (vk_check.c): one
  // whose outputs are all empty (or constants) has nothing to dispatch.
  if (plan->calls.empty())
    return makeError("the model runs no kernel (its outputs are empty tensors or constants); the "
                     "spirv target needs at least one");
  // Its runtime takes no zero-byte input or output (kiln_vk_io.size > 0).
  for (auto [role, tensors] : {std::pair{"input", &plan->inputs}, {"output", &plan->outputs}})
    for (const host::TensorDesc &t : *tensors)
      if (t.bytes() == 0)
        return makeError(std::string(role) + " '" + t.name +
                         "' is empty (a 0 dimension); the spirv target passes no empty tensor yet");
  if (!plan->copies.empty())
    return makeError("output '" + plan->outputs[plan->copies[0].output].name +
                     "' is an input, a weight or another output as it stands; the spirv target "
                     "does not copy such outputs yet");
  if (options.fp16Storage)
    if (auto err = spirv::storePlanAsFp16(*plan))
      return err;
  const std::string &m = plan->modelName;
  auto tmp = toolchain::TempDir::create("kiln-spirv");
  if (!tmp)
    return tmp.takeError();

  spirv::SpirvOptions spirvOptions;
  spirvOptions.vulkan11 = options.vulkan == "1.1";
  spirvOptions.fp16Storage = options.fp16Storage;
  std::vector<spirv::SpirvKernel> kernels;
  std::vector<std::string> published = {"lib" + m + ".a",           m + ".h",
                                        "libkiln_runtime_vulkan.a", "kiln_runtime_vulkan.h",
                                        "kiln_runtime.h",           m + ".size.txt"};
  std::string report;
  llvm::raw_string_ostream reportOs(report);
  reportOs << "kernel dispatches spirv_bytes scratch_bytes\n";
  uint64_t spirvBytes = 0;
  KernelProgress progress(options.progress, plan->kernels.size());
  for (unsigned k = 0; k < plan->kernels.size(); ++k) {
    auto start = std::chrono::steady_clock::now();
    kiln::KernelOp kernel = plan->kernels[k];
    auto record = codegen::requireSchedule(kernel);
    if (!record)
      return record.takeError();
    auto compiled = spirv::compileKernel(kernel, *record, spirvOptions);
    if (!compiled)
      return compiled.takeError();
    uint64_t bytes = 0, scratch = 0;
    for (auto [d, dispatch] : llvm::enumerate(compiled->dispatches)) {
      std::string file = spirv::moduleName(*plan, k, d) + ".spv";
      llvm::StringRef data(reinterpret_cast<const char *>(dispatch.words.data()),
                           dispatch.words.size() * 4);
      if (auto err = toolchain::writeFile(tmp->file(file), data))
        return err;
      published.push_back(file);
      bytes += data.size();
    }
    for (uint64_t s : compiled->scratchBytes)
      scratch += s;
    spirvBytes += bytes;
    reportOs << kernel.getKernelName() << " " << compiled->dispatches.size() << " " << bytes << " "
             << scratch << "\n";
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.done(k, kernel.getKernelName(), record->str(), seconds);
    kernels.push_back(std::move(*compiled));
  }
  progress.finish();
  spirv::SpirvLayout layout = spirv::layOut(*plan, kernels);
  uint64_t dispatchesPerRun = 0;
  for (const host::KernelCall &call : plan->calls)
    dispatchesPerRun += kernels[call.kernel].dispatches.size();
  reportOs << "total spirv_bytes " << spirvBytes << " weights_bytes " << plan->weights.size()
           << " arena_bytes " << layout.arenaBytes << " dispatches_per_run " << dispatchesPerRun
           << "\n";
  if (options.sizeReport)
    *options.sizeReport << report;

  // Features create checks: Vulkan 1.1 refuses a 1.0 device for 1.1
  // modules, 16-bit storage a device without storageBuffer16BitAccess for
  // --fp16-storage ones, Int64/Float64 one without shaderInt64/Float64.
  uint32_t features = (spirvOptions.vulkan11 ? spirv::kFeatureVulkan11 : 0u) |
                      (spirvOptions.fp16Storage ? spirv::kFeatureStorage16Bit : 0u);
  for (const spirv::SpirvKernel &kernel : kernels)
    features |= kernel.features;
  spirv::SpirvHostOptions hostOptions{options.sourceName, features, spirvOptions.fp16Storage};
  if (auto err = toolchain::writeFile(tmp->file(m + ".size.txt"), report))
    return err;
  if (auto err = toolchain::writeFile(tmp->file(m + ".h"),
                                      spirv::emitHeader(*plan, kernels, layout, hostOptions)))
    return err;
  std::string source = tmp->file(m + ".c");
  if (auto err =
          toolchain::writeFile(source, spirv::emitSource(*plan, kernels, layout, hostOptions)))
    return err;
  if (auto err = buildRuntime(*tmp))
    return err;
  std::vector<std::string> arArgs = {"rcs", tmp->file("lib" + m + ".a")};
  std::string hostObject = tmp->file(m + ".o");
  if (auto err = toolchain::run("clang-19", {"-c", "-O2", "-fPIC", "-std=c11", "-I", tmp->path(),
                                             source, "-o", hostObject}))
    return err;
  arArgs.push_back(hostObject);
  if (!plan->weights.empty()) {
    std::string object;
    if (auto err = weightsObject(*tmp, *plan, object))
      return err;
    arArgs.push_back(object);
  }
  if (auto err = toolchain::run("llvm-ar-19", arArgs))
    return err;
  return toolchain::publish(*tmp, options.outputDir, published);
}

} // namespace kiln
