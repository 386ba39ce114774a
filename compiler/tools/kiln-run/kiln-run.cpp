//===- kiln-run.cpp - run a model in process through codegen's JIT --------===//
//
//   kiln-run model.{onnx,mlir} --inputs-dir D --outputs-dir O
//            [--input-shape name=1x3x224x224] [--schedule=template|auto:adams2019|...]
//            [--print-schedules] [--timing] [--repeat N]
//   kiln-run model.{onnx,mlir} --aot-dir D [--aot-target T]   (compile only)
//
// Imports the model (or reads Kiln IR), runs the pipeline to phase kernels,
// JIT-compiles every kernel with the same codegen as the AOT targets, runs
// the model on the tensors in D and writes the outputs to O (tensor
// directory format of test/e2e). A quick way to check codegen against
// ONNX Runtime without building a library. With --aot-dir it instead
// compiles every distinct kernel ahead of time for a target, as the targets
// do, and reports compile time and which kernels would allocate at run time.
//
//===----------------------------------------------------------------------===//
#include "TensorDir.h"

#include "codegen/halide/Compile.h"
#include "codegen/schedule/KernelInfo.h"
#include "compiler/driver/Driver.h"
#include "compiler/pipeline/Pipeline.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/IR/Diagnostics.h"
#include "targets/jit/JitRunner.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <chrono>
#include <map>

using namespace llvm;

static int fail(const Twine &message) {
  errs() << "kiln-run: error: " << message << "\n";
  return 1;
}

// --aot-dir: the schedules phase for `target`, then one object per distinct
// kernel, with what each cost and whether it calls halide_malloc.
static int compileAhead(mlir::ModuleOp module, StringRef dir, StringRef target,
                        kiln::codegen::ScheduleMode mode) {
  kiln::codegen::ScheduleVariant variant{"aot", target.str(),
                                         mode == kiln::codegen::ScheduleMode::Template};
  if (failed(kiln::runSchedulesPhase(module, variant, mode)))
    return fail("the schedules phase failed");
  if (std::error_code ec = sys::fs::create_directories(dir))
    return fail("cannot create '" + dir + "': " + ec.message());
  std::map<std::string, std::string> done; // kernel key -> function
  double total = 0;
  unsigned heap = 0;
  int status = 0;
  module.walk([&](kiln::KernelOp kernel) {
    if (status)
      return;
    std::string key = kiln::codegen::kernelKey(kernel);
    if (done.count(key)) {
      outs() << kernel.getKernelName() << ": same as " << done[key] << "\n";
      return;
    }
    std::string fn = "k" + std::to_string(done.size());
    done[key] = fn;
    SmallString<256> path(dir);
    sys::path::append(path, fn + ".o");
    auto info = kiln::codegen::compileKernelObject(kernel, fn, target, path);
    if (!info) {
      status = fail(toString(info.takeError()));
      return;
    }
    total += info->seconds;
    heap += info->heapAllocates;
    outs() << kernel.getKernelName() << ": " << fn << "  " << info->schedule.str()
           << format("  %.3f s", info->seconds) << (info->heapAllocates ? "  HEAP" : "")
           << (info->parallel ? "  parallel" : "") << "\n";
  });
  if (status)
    return status;
  outs() << format("%zu distinct kernels compiled for %s in %.2f s; %u allocate at run time\n",
                   done.size(), target.str().c_str(), total, heap);
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::OptionCategory category("kiln-run options");
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.mlir>"), cl::Required,
                             cl::cat(category));
  cl::opt<std::string> inputsDir("inputs-dir", cl::desc("Directory of <name>.bin inputs"),
                                 cl::value_desc("dir"), cl::cat(category));
  cl::opt<std::string> outputsDir("outputs-dir", cl::desc("Directory for <name>.bin outputs"),
                                  cl::value_desc("dir"), cl::cat(category));
  cl::opt<std::string> aotDir("aot-dir",
                              cl::desc("Compile each distinct kernel to an object here instead "
                                       "of running"),
                              cl::value_desc("dir"), cl::cat(category));
  cl::opt<std::string> aotTarget("aot-target", cl::desc("Halide target for --aot-dir"),
                                 cl::init("host"), cl::cat(category));
  cl::list<std::string> inputShape(
      "input-shape", cl::desc("Pin an input's shape, e.g. --input-shape=x=1x3x224x224"),
      cl::value_desc("name=DxDx..."), cl::cat(category));
  cl::list<std::string> inputValue(
      "input-value",
      cl::desc("Fix a TF.js input's value at import, e.g. --input-value=ratio=0.5: it becomes a "
               "constant and leaves the model's inputs"),
      cl::value_desc("name=V,V..."), cl::cat(category));
  cl::opt<std::string> schedule(
      "schedule", cl::desc("template (default), auto:adams2019, auto:li2018, auto:mullapudi2016"),
      cl::init("template"), cl::cat(category));
  cl::opt<bool> printSchedules("print-schedules", cl::desc("Print each kernel's schedule"),
                               cl::cat(category));
  cl::opt<bool> timing("timing", cl::desc("Print compile time per kernel and run time"),
                       cl::cat(category));
  cl::opt<bool> fuseBlocks("fuse-blocks",
                           cl::desc("Fuse inverted-residual blocks (as kilnc; default true)"),
                           cl::init(true), cl::cat(category));
  cl::opt<unsigned> repeat("repeat", cl::desc("Run N times (timing reports the median)"),
                           cl::init(1), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "kiln-run: run a model through Kiln's JIT\n");

  auto mode = kiln::codegen::parseScheduleMode(schedule);
  if (!mode)
    return fail("--schedule: " + toString(mode.takeError()));

  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  kiln::DriverOptions options;
  options.inputPath = input;
  options.inputShapes = inputShape;
  options.inputValues = inputValue;
  auto start = std::chrono::steady_clock::now();
  auto module = kiln::loadModel(context, options);
  if (!module)
    return fail(toString(module.takeError()));

  // IR already cut into kernels (kilnc --compile-to=kernels) runs as is.
  bool hasKernels = false;
  (*module)->walk([&](kiln::KernelOp) { hasKernels = true; });
  if (!hasKernels) {
    std::string diagText;
    raw_string_ostream diagStream(diagText);
    SourceMgr sourceMgr;
    mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);
    kiln::PipelineOptions pipelineOptions;
    pipelineOptions.scheduleMode = *mode;
    pipelineOptions.fuseBlocks = fuseBlocks;
    if (failed(kiln::runPipeline(**module, kiln::Phase::Kernels, pipelineOptions)))
      return fail("compilation to phase 'kernels' failed:\n" + StringRef(diagText).rtrim());
  }
  double frontSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!aotDir.empty())
    return compileAhead(**module, aotDir, aotTarget, *mode);
  if (inputsDir.empty() || outputsDir.empty())
    return fail("--inputs-dir and --outputs-dir are required (or --aot-dir)");

  start = std::chrono::steady_clock::now();
  {
    std::string diagText;
    raw_string_ostream diagStream(diagText);
    SourceMgr sourceMgr;
    mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagStream);
    if (failed(kiln::runSchedulesPhase(**module, kiln::jit::jitVariant(*mode), *mode)))
      return fail("the schedules phase failed:\n" + StringRef(diagText).rtrim());
  }
  auto runner = kiln::jit::JitRunner::create(**module);
  if (!runner)
    return fail(toString(runner.takeError()));
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  auto printKernels = [&] {
    for (const kiln::jit::KernelStats &s : (*runner)->kernelStats()) {
      outs() << s.kernelName << ": " << s.schedule;
      if (timing)
        outs() << format("  compile %.3f s%s  run %.3f ms", s.compileSeconds,
                         s.cached ? " (cached)" : "", s.bestRunSeconds * 1e3);
      outs() << "\n";
    }
  };

  std::vector<kiln::jit::HostTensor> inputs;
  for (const kiln::jit::HostTensor &spec : (*runner)->inputSpecs()) {
    auto tensor = kiln::readTensor(inputsDir, spec);
    if (!tensor)
      return fail(toString(tensor.takeError()));
    inputs.push_back(std::move(*tensor));
  }
  std::vector<double> runTimes;
  std::vector<kiln::jit::HostTensor> outputs;
  for (unsigned i = 0; i < std::max(1u, unsigned(repeat)); ++i) {
    auto runStart = std::chrono::steady_clock::now();
    auto result = (*runner)->run(inputs);
    runTimes.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - runStart).count());
    if (!result)
      return fail(toString(result.takeError()));
    outputs = std::move(*result);
  }
  if (Error err = kiln::writeTensorDir(outputsDir, outputs))
    return fail(toString(std::move(err)));

  if (printSchedules || timing)
    printKernels();
  if (timing) {
    std::sort(runTimes.begin(), runTimes.end());
    outs() << format("import+passes %.3f s, codegen %.3f s for %zu kernels, run %.3f ms "
                     "(median of %zu, JIT, includes buffer copies)\n",
                     frontSeconds, compileSeconds, (*runner)->kernelStats().size(),
                     runTimes[runTimes.size() / 2] * 1e3, runTimes.size());
  }
  return 0;
}
