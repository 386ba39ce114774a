//===- RunCase.cpp - one ONNX node test through Kiln ----------------------===//
#include "test/conformance/RunCase.h"

#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/pipeline/Pipeline.h"
#include "mlir/IR/Diagnostics.h"
#include "targets/jit/JitRunner.h"
#include "test/conformance/RunTarget.h"
#include "test/conformance/TestData.h"

#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <chrono>
#include <unistd.h>

namespace kiln::conformance {

/// Import errors name the model file; in a report every row is one test's
/// model, so the path only adds noise.
static std::string withoutPath(std::string message, const std::string &path) {
  for (size_t at; (at = message.find(path + ": ")) != std::string::npos;)
    message.erase(at, path.size() + 2);
  return message;
}

/// The JIT's outputs (its variant of the schedules phase: this machine,
/// templates), or the error with the stage that failed.
static llvm::Expected<std::vector<jit::HostTensor>>
runJit(mlir::ModuleOp module, const std::vector<jit::HostTensor> &inputs,
       const std::string &diagnostics, bool &compiled) {
  compiled = false;
  if (mlir::failed(runPipeline(module, Phase::Schedules)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "compile: " + diagnostics);
  auto runner = jit::JitRunner::create(module);
  if (!runner)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "codegen: " + llvm::toString(runner.takeError()));
  compiled = true;
  auto outputs = (*runner)->run(inputs);
  if (!outputs)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "run: " + llvm::toString(outputs.takeError()));
  return outputs;
}

Result runCase(const std::string &dir, const CaseOptions &opts) {
  double rtol = opts.rtol, atol = opts.atol;
  auto start = std::chrono::steady_clock::now();
  Result r;
  auto done = [&](Status status, std::string detail) {
    r.status = status;
    r.detail = std::move(detail);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  };
  auto test = describeTest(dir);
  if (!test)
    return done(Status::Unsupported, llvm::toString(test.takeError()));
  r.name = test->name;
  r.op = test->op;
  std::vector<jit::HostTensor> inputs, expected;
  if (auto err = readDataSet(*test, inputs, expected))
    return done(Status::Unsupported, llvm::toString(std::move(err)));

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diagnostics.empty())
      diagnostics = diag.str();
    return mlir::success();
  });

  for (jit::HostTensor &in : inputs)
    for (const auto &[name, shape] : test->valueFreeInputs)
      if (in.name == name && in.shape != shape)
        in = jit::HostTensor::zeros(in.name, in.dtype, shape);

  // The test data fixes every input's shape, dynamic dimensions included.
  OnnxImportOptions options;
  for (const jit::HostTensor &in : inputs)
    options.inputShapes[in.name] = in.shape;
  auto module = importOnnxFile(context, dir + "/model.onnx", options);
  if (!module) {
    // Ops whose shape-like operands arrive as graph inputs (Reshape's shape,
    // Slice's starts, OneHot's depth, Pad's value...) need them as constants
    // in a static compiler: retry once with every integer input, every
    // scalar input, and every input read as a shape-like operand (Resize's
    // float scales and roi), made an initializer holding its data.
    std::string message = withoutPath(llvm::toString(module.takeError()), dir + "/model.onnx");
    std::vector<std::string> constants;
    for (const jit::HostTensor &in : inputs)
      if (in.dtype == kiln::DType::I64 || in.dtype == kiln::DType::I32 ||
          std::all_of(in.shape.begin(), in.shape.end(), [](int64_t d) { return d == 1; }) ||
          llvm::is_contained(test->shapeOperands, in.name))
        constants.push_back(in.name);
    if (message.find("constant") == std::string::npos || constants.empty())
      return done(Status::Unsupported, "import: " + message);
    std::string patched = "/tmp/kiln-conformance-" + std::to_string(getpid()) + ".onnx";
    if (auto err = writeWithConstantInputs(*test, inputs, constants, patched))
      return done(Status::Unsupported, "import: " + llvm::toString(std::move(err)));
    OnnxImportOptions patchedOptions;
    std::vector<jit::HostTensor> remaining;
    for (jit::HostTensor &in : inputs)
      if (std::find(constants.begin(), constants.end(), in.name) == constants.end()) {
        patchedOptions.inputShapes[in.name] = in.shape;
        remaining.push_back(std::move(in));
      }
    module = importOnnxFile(context, patched, patchedOptions);
    llvm::sys::fs::remove(patched);
    if (!module)
      return done(Status::Unsupported,
                  "import (integer, scalar and shape-operand inputs as constants): " +
                      llvm::toString(module.takeError()));
    inputs = std::move(remaining);
  }
  std::vector<jit::HostTensor> outputs;
  bool artifact = isArtifactTarget(opts.target);
  if (artifact) {
    TargetRun run = runOnTarget(**module, opts.target, inputs, expected);
    if (!run.error.empty())
      return done(run.compiled ? Status::Fail : Status::Unsupported, run.error);
    outputs = std::move(run.outputs);
  } else {
    bool compiled = false;
    auto jitOutputs = runJit(**module, inputs, diagnostics, compiled);
    if (!jitOutputs)
      return done(compiled ? Status::Fail : Status::Unsupported,
                  llvm::toString(jitOutputs.takeError()));
    outputs = std::move(*jitOutputs);
  }
  if (outputs.size() != expected.size())
    return done(Status::Fail, "produced " + std::to_string(outputs.size()) + " outputs, expected " +
                                  std::to_string(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i)
    if (auto mismatch = compareTensors(expected[i], outputs[i], rtol, atol))
      return done(Status::Fail, *mismatch);
  if (artifact && opts.checkCpu) {
    // The two targets against each other, with the oracle's tolerances: both
    // may pass the oracle and still differ by up to twice the tolerance.
    bool compiled = false;
    auto cpu = runJit(**module, inputs, diagnostics, compiled);
    if (!cpu) {
      r.cpuCheck = "cpu does not pass: " + llvm::toString(cpu.takeError());
    } else {
      r.cpuCheck = "agree";
      for (size_t i = 0; i < expected.size() && i < cpu->size(); ++i)
        if (auto mismatch = compareTensors((*cpu)[i], outputs[i], rtol, atol)) {
          r.cpuCheck = "differ: " + *mismatch;
          break;
        }
    }
    std::replace(r.cpuCheck.begin(), r.cpuCheck.end(), '\n', ' ');
  }
  return done(Status::Pass, "");
}

} // namespace kiln::conformance
