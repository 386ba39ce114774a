//===- RunTarget.cpp - one node test through a target's real artifact -----===//
#include "test/conformance/RunTarget.h"

#include "compiler/pipeline/Pipeline.h"
#include "targets/Targets.h"
#include "targets/common/Toolchain.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace kiln::conformance {

bool isArtifactTarget(llvm::StringRef name) { return name == "spirv" || name == "wasm"; }

/// The file of a tensor: characters outside [A-Za-z0-9._:+=-] become '_', as
/// test/e2e/native/tensor_files.h and wasm_runner.mjs name them.
static std::string tensorPath(const std::string &dir, llvm::StringRef name) {
  std::string out = dir + "/";
  for (char c : name)
    out += (llvm::isAlnum(c) || llvm::StringRef("._:+=-").contains(c)) ? c : '_';
  return out + ".bin";
}

/// Runs a program; on failure returns its status and the first lines of its
/// standard error (a test's detail is one line in the report).
static llvm::Error runProgram(llvm::StringRef program, llvm::ArrayRef<std::string> args,
                              const std::string &errFile) {
  std::vector<llvm::StringRef> argv{program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {llvm::StringRef(""), llvm::StringRef(errFile),
                                                llvm::StringRef(errFile)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects, 0, 0, &message);
  if (rc == 0)
    return llvm::Error::success();
  std::string output;
  if (auto buf = llvm::MemoryBuffer::getFile(errFile))
    output = (*buf)->getBuffer().rtrim().take_front(600).str();
  std::string what = message.empty() ? "exit " + std::to_string(rc) : message;
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::sys::path::filename(program) + " " + what + ": " + output);
}

/// Links spirv_runner.c with the model's library and the Vulkan runtime.
static llvm::Error linkSpirvRunner(const std::string &out, const std::string &runner,
                                   const std::string &errFile) {
  auto clang = toolchain::findTool("clang-19");
  if (!clang)
    return clang.takeError();
  std::string native = std::string(KILN_SOURCE_DIR) + "/test/e2e/native";
  return runProgram(*clang,
                    {"-O1", "-std=c11", "-D_GNU_SOURCE", "-DKILN_MODEL=m", "-DKILN_MODEL_UPPER=M",
                     "-include", out + "/m.h", "-I", out, native + "/spirv_runner.c",
                     out + "/libm.a", out + "/libkiln_runtime_vulkan.a", "-lm", "-lpthread", "-ldl",
                     "-o", runner},
                    errFile);
}

TargetRun runOnTarget(mlir::ModuleOp imported, llvm::StringRef targetName,
                      const std::vector<jit::HostTensor> &inputs,
                      const std::vector<jit::HostTensor> &expected) {
  TargetRun result;
  auto fail = [&](llvm::Error err) {
    result.error = llvm::toString(std::move(err));
    return std::move(result);
  };
  auto failText = [&](const llvm::Twine &text) {
    result.error = text.str();
    return std::move(result);
  };
  const Target *target = findTarget(targetName);
  if (!target)
    return failText("unknown target '" + targetName + "'");
  auto tmp = toolchain::TempDir::create("kiln-conformance-" + targetName.str());
  if (!tmp)
    return fail(tmp.takeError());
  std::string out = tmp->file("out"), in = tmp->file("in"), got = tmp->file("got"),
              errFile = tmp->file("stderr.txt");
  for (const std::string &d : {in, got})
    if (auto ec = llvm::sys::fs::create_directories(d))
      return failText("cannot create " + d + ": " + ec.message());

  // What kilnc does for --compile-to=artifact (compiler/driver/Driver.cpp),
  // on a copy: the caller may still run the JIT on the imported module.
  mlir::OwningOpRef<mlir::ModuleOp> module(imported.clone());
  TargetOptions options;
  options.outputDir = out;
  options.modelName = "m";
  options.sourceName = "model.onnx";
  options.wasmFallback = false; // Node has SIMD: the fallback would only cost time
  auto variants = target->variants(options);
  if (!variants)
    return fail(variants.takeError());
  PipelineOptions pipeline;
  pipeline.target = variants->front().halideTarget;
  pipeline.fuseBlocks = target->fuseBlocksByDefault();
  if (mlir::failed(runPipeline(*module, Phase::Kernels, pipeline)))
    return failText("compile: the pipeline failed (" + targetName + ")");
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> scheduled;
  std::vector<mlir::ModuleOp> modules;
  for (const codegen::ScheduleVariant &variant : *variants) {
    scheduled.emplace_back(module->clone());
    if (mlir::failed(
            runSchedulesPhase(*scheduled.back(), variant, codegen::ScheduleMode::Template)))
      return failText("compile: schedules phase failed (" + variant.name + ")");
    modules.push_back(*scheduled.back());
  }
  if (auto err = target->emit(modules, options))
    return failText("compile: " + llvm::toString(std::move(err)));
  result.compiled = true;

  for (const jit::HostTensor &t : inputs)
    if (auto err = toolchain::writeFile(
            tensorPath(in, t.name),
            llvm::StringRef(reinterpret_cast<const char *>(t.data.data()), t.data.size())))
      return fail(std::move(err));
  if (targetName == "spirv") {
    // lavapipe on the calling thread unless the caller chose: its worker
    // threads make a run many times slower on a loaded 2-core machine.
    setenv("VK_ICD_FILENAMES", "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", 0);
    setenv("LP_NUM_THREADS", "0", 0);
    std::string runner = tmp->file("runner");
    if (auto err = linkSpirvRunner(out, runner, errFile))
      return failText("link: " + llvm::toString(std::move(err)));
    if (auto err = runProgram(runner, {in, got}, errFile))
      return failText("run: " + llvm::toString(std::move(err)));
  } else {
    auto node = llvm::sys::findProgramByName("node");
    if (!node)
      return failText("run: node is not on PATH");
    std::string script = std::string(KILN_SOURCE_DIR) + "/test/conformance/wasm_runner.mjs";
    if (auto err = runProgram(*node, {script, out + "/m.mjs", in, got}, errFile))
      return failText("run: " + llvm::toString(std::move(err)));
  }

  for (const jit::HostTensor &want : expected) {
    jit::HostTensor t = jit::HostTensor::zeros(want.name, want.dtype, want.shape);
    std::string path = tensorPath(got, want.name);
    auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf)
      return failText("run: no output '" + want.name + "' (" + buf.getError().message() + ")");
    if ((*buf)->getBufferSize() != t.data.size())
      return failText("run: output '" + want.name + "' has " +
                      std::to_string((*buf)->getBufferSize()) + " bytes, expected " +
                      std::to_string(t.data.size()));
    std::memcpy(t.data.data(), (*buf)->getBufferStart(), t.data.size());
    result.outputs.push_back(std::move(t));
  }
  return result;
}

} // namespace kiln::conformance
