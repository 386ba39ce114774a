//===- JitRunner.cpp - run a whole model in process with Halide's JIT -----===//
#include "targets/jit/JitRunner.h"

#include "codegen/halide/ApplySchedule.h"
#include "codegen/halide/Compile.h"
#include "codegen/halide/KernelEmitter.h"
#include "codegen/schedule/KernelInfo.h"
#include "codegen/schedule/Passes.h"
#include "codegen/halide/QuietStderr.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>

using namespace mlir;

namespace kiln::jit {
using namespace kiln::codegen;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {

Halide::Type halideTypeOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return Halide::Float(32);
  case DType::F16:
    return Halide::Float(16);
  case DType::BF16:
    return Halide::BFloat(16);
  case DType::F64:
    return Halide::Float(64);
  case DType::I8:
    return Halide::Int(8);
  case DType::I16:
    return Halide::Int(16);
  case DType::I32:
    return Halide::Int(32);
  case DType::I64:
    return Halide::Int(64);
  case DType::U8:
    return Halide::UInt(8);
  case DType::U16:
    return Halide::UInt(16);
  case DType::U32:
    return Halide::UInt(32);
  case DType::U64:
    return Halide::UInt(64);
  case DType::Bool:
    return Halide::Bool();
  }
  return Halide::Float(32);
}

// A dense buffer of a tensor's type and shape (Halide order).
Halide::Buffer<> makeBuffer(DType dtype, const std::vector<int64_t> &shape) {
  std::vector<int> sizes(shape.rbegin(), shape.rend());
  return Halide::Buffer<>(halideTypeOf(dtype), sizes);
}

// One JIT-compiled kernel, shared by every runner whose kernel has its key.
struct CompiledKernel {
  EmittedKernel emitted;
  std::string schedule;
  std::mutex runMutex; // ImageParam bindings are per pipeline, not per call
};

std::mutex cacheMutex;
std::map<std::string, std::shared_ptr<CompiledKernel>> &cache() {
  static std::map<std::string, std::shared_ptr<CompiledKernel>> c;
  return c;
}

struct Step {
  std::string name;
  std::shared_ptr<CompiledKernel> kernel;
  std::vector<Value> inputs, outputs;
  std::vector<Halide::Buffer<>> outBuffers;
};

} // namespace

struct JitRunner::Impl {
  /// The runner's own copy of the module, at phase schedules.
  OwningOpRef<ModuleOp> module;
  std::vector<HostTensor> inputSpecs, outputSpecs;
  std::vector<Value> inputValues, outputValues;
  llvm::DenseMap<Value, Halide::Buffer<>> constants;
  std::vector<Step> steps;
  std::vector<KernelStats> stats;
};

JitRunner::JitRunner() : impl(std::make_unique<Impl>()) {}
JitRunner::~JitRunner() = default;

const std::vector<HostTensor> &JitRunner::inputSpecs() const { return impl->inputSpecs; }
const std::vector<HostTensor> &JitRunner::outputSpecs() const { return impl->outputSpecs; }
const std::vector<KernelStats> &JitRunner::kernelStats() const { return impl->stats; }

static llvm::Expected<HostTensor> specOf(Type type, std::string name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return makeError("'" + name + "' is not a statically shaped tensor");
  auto dtype = dtypeOf(tensor.getElementType());
  if (!dtype)
    return makeError("'" + name + "': " + llvm::toString(dtype.takeError()));
  return HostTensor::zeros(
      std::move(name), *dtype,
      std::vector<int64_t>(tensor.getShape().begin(), tensor.getShape().end()));
}

static llvm::Expected<std::shared_ptr<CompiledKernel>>
compileKernel(KernelOp kernel, const JitOptions &options, KernelStats &stats) {
  auto start = std::chrono::steady_clock::now();
  auto record = resolveSchedule(kernel, "host", options.mode);
  if (!record)
    return record.takeError();
  stats.kernelName = kernel.getKernelName().str();
  stats.schedule = record->str();
  // The key covers the record actually applied, attached or not.
  stats.key = kernelKey(kernel) + "/" + stats.schedule;
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto it = cache().find(stats.key);
    if (it != cache().end()) {
      stats.cached = true;
      stats.schedule = it->second->schedule;
      return it->second;
    }
  }
  auto compiled = std::make_shared<CompiledKernel>();
  auto emitted = emitKernel(kernel);
  if (!emitted)
    return emitted.takeError();
  compiled->emitted = std::move(*emitted);
  Halide::Target target = Halide::get_jit_target_from_environment();
  // As on the AOT path (Compile.cpp): the autoschedulers and the lowering of
  // their schedules print progress and advice on stderr, errors come back as
  // exceptions. KILN_HALIDE_LOG=1 shows it all (QuietStderr::disabled).
  std::optional<QuietStderr> quiet;
  if (record->mode != ScheduleMode::Template)
    quiet.emplace();
  auto applied = applySchedule(compiled->emitted, *record, target);
  if (!applied)
    return applied.takeError();
  // What ran, which may be the generic fallback of the record asked for.
  compiled->schedule = stats.schedule = applied->str();
  try {
    // Debugging aid: KILN_DUMP_STMT=<dir> writes each kernel's lowered
    // Halide statement (loops, allocations, vectors) as <kernel>.stmt.
    if (const char *dir = std::getenv("KILN_DUMP_STMT"))
      compiled->emitted.pipeline.compile_to_lowered_stmt(
          std::string(dir) + "/" + kernel.getKernelName().str() + ".stmt",
          compiled->emitted.arguments(), Halide::StmtOutputFormat::Text, target);
    compiled->emitted.pipeline.compile_jit(target);
  } catch (const Halide::Error &e) {
    return makeError("kernel '" + kernel.getKernelName() + "': Halide failed: " + e.what());
  }
  stats.compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard<std::mutex> lock(cacheMutex);
  return cache().emplace(stats.key, compiled).first->second;
}

// The schedules phase on a copy, exactly as the AOT targets run it: packed
// weights and a record on every kernel (an auto mode replaces records).
static llvm::Expected<OwningOpRef<ModuleOp>> toSchedulesPhase(ModuleOp module,
                                                              const JitOptions &options) {
  OwningOpRef<ModuleOp> copy(module.clone());
  std::string firstError;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &diag) {
    if (firstError.empty() && diag.getSeverity() == DiagnosticSeverity::Error)
      firstError = diag.str();
    return success();
  });
  PassManager pm(module.getContext());
  buildCodegenSchedulesPipeline(pm, "host", scheduleModeName(options.mode),
                                /*overwrite=*/options.mode != ScheduleMode::Template);
  if (failed(pm.run(*copy)))
    return makeError("schedules phase failed: " + firstError);
  return copy;
}

llvm::Expected<std::unique_ptr<JitRunner>> JitRunner::create(ModuleOp original,
                                                             const JitOptions &options) {
  std::unique_ptr<JitRunner> runner(new JitRunner());
  Impl &impl = *runner->impl;
  auto scheduled = toSchedulesPhase(original, options);
  if (!scheduled)
    return scheduled.takeError();
  impl.module = std::move(*scheduled);
  auto main = impl.module->lookupSymbol<func::FuncOp>("main");
  if (!main)
    return makeError("the module has no func.func @main");

  for (BlockArgument arg : main.getArguments()) {
    auto name = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "kiln.name");
    auto spec =
        specOf(arg.getType(), name ? name.str() : "input" + std::to_string(arg.getArgNumber()));
    if (!spec)
      return spec.takeError();
    impl.inputSpecs.push_back(std::move(*spec));
    impl.inputValues.push_back(arg);
  }
  for (Operation &op : main.getBody().front()) {
    if (isa<tosa::ConstOp, arith::ConstantOp>(op)) {
      std::optional<ElementsAttr> attr = constantValue(op.getResult(0));
      auto spec = specOf(op.getResult(0).getType(), "constant");
      if (!attr || !spec)
        return makeError("unsupported constant: " + (spec ? llvm::Twine("not an elements attribute")
                                                          : llvm::toString(spec.takeError())));
      auto bytes = constantBytes(*attr);
      if (!bytes)
        return bytes.takeError();
      Halide::Buffer<> buffer = makeBuffer(spec->dtype, spec->shape);
      std::memcpy(buffer.data(), bytes->data(), bytes->size());
      impl.constants[op.getResult(0)] = buffer;
    } else if (auto kernel = dyn_cast<KernelOp>(op)) {
      KernelStats stats;
      auto compiled = compileKernel(kernel, options, stats);
      if (!compiled)
        return compiled.takeError();
      impl.stats.push_back(stats);
      Step step;
      step.name = kernel.getKernelName().str();
      step.kernel = *compiled;
      step.inputs.assign(kernel.getInputs().begin(), kernel.getInputs().end());
      step.outputs.assign(kernel.getResults().begin(), kernel.getResults().end());
      impl.steps.push_back(std::move(step));
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        auto name = main.getResultAttrOfType<StringAttr>(i, "kiln.name");
        auto spec = specOf(value.getType(), name ? name.str() : "output" + std::to_string(i));
        if (!spec)
          return spec.takeError();
        impl.outputSpecs.push_back(std::move(*spec));
        impl.outputValues.push_back(value);
      }
    } else {
      return makeError("'" + op.getName().getStringRef() +
                       "' outside a kiln.kernel: the JIT runner needs the module at phase "
                       "kernels");
    }
  }
  return runner;
}

llvm::Expected<std::vector<HostTensor>> JitRunner::run(const std::vector<HostTensor> &inputs) {
  Impl &impl = *this->impl;
  if (inputs.size() != impl.inputSpecs.size())
    return makeError("expected " + llvm::Twine(impl.inputSpecs.size()) + " inputs, got " +
                     llvm::Twine(inputs.size()));
  llvm::DenseMap<Value, Halide::Buffer<>> buffers = impl.constants;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    const HostTensor &spec = impl.inputSpecs[i];
    if (input.dtype != spec.dtype || input.shape != spec.shape)
      return makeError("input '" + spec.name + "': expected " + dtypeName(spec.dtype) + " " +
                       shapeString(spec.shape) + ", got " + dtypeName(input.dtype) + " " +
                       shapeString(input.shape));
    if (input.data.size() != spec.byteSize())
      return makeError("input '" + spec.name + "': expected " + llvm::Twine(spec.byteSize()) +
                       " bytes, got " + llvm::Twine(input.data.size()));
    Halide::Buffer<> buffer = makeBuffer(spec.dtype, spec.shape);
    std::memcpy(buffer.data(), input.data.data(), input.data.size());
    buffers[impl.inputValues[i]] = buffer;
  }
  for (auto [stepIndex, step] : llvm::enumerate(impl.steps)) {
    auto stepStart = std::chrono::steady_clock::now();
    // Output buffers are allocated on the first run and reused: fresh
    // pages on every call would cost page faults (STACK.md), not compute.
    if (step.outBuffers.empty())
      for (Value v : step.outputs) {
        auto spec = specOf(v.getType(), step.name);
        if (!spec)
          return spec.takeError();
        step.outBuffers.push_back(makeBuffer(spec->dtype, spec->shape));
      }
    std::vector<Halide::Buffer<>> &outs = step.outBuffers;
    CompiledKernel &k = *step.kernel;
    std::lock_guard<std::mutex> lock(k.runMutex);
    try {
      for (auto [param, value] : llvm::zip(k.emitted.inputs, step.inputs))
        param.set(buffers.lookup(value));
      Halide::Realization realization(outs);
      k.emitted.pipeline.realize(realization, Halide::get_jit_target_from_environment());
    } catch (const Halide::Error &e) {
      return makeError("kernel '" + step.name + "' failed: " + e.what());
    }
    // Drop the input bindings: the pipeline must not keep buffers alive.
    for (Halide::ImageParam &param : k.emitted.inputs)
      param.reset();
    for (auto [value, buffer] : llvm::zip(step.outputs, outs))
      buffers[value] = buffer;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - stepStart).count();
    double &best = impl.stats[stepIndex].bestRunSeconds;
    best = best == 0 ? seconds : std::min(best, seconds);
  }
  std::vector<HostTensor> results;
  for (auto [spec, value] : llvm::zip(impl.outputSpecs, impl.outputValues)) {
    HostTensor out = spec;
    Halide::Buffer<> buffer = buffers.lookup(value);
    if (!buffer.defined() || buffer.size_in_bytes() != out.byteSize())
      return makeError("output '" + spec.name + "' was not computed");
    std::memcpy(out.data.data(), buffer.data(), out.byteSize());
    results.push_back(std::move(out));
  }
  return results;
}

} // namespace kiln::jit
