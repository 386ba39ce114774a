//===- JitRunner.cpp - run a whole model in process with Halide's JIT -----===//
#include "targets/jit/JitRunner.h"

#include "codegen/halide/ApplySchedule.h"
#include "codegen/halide/Compile.h"
#include "codegen/halide/KernelEmitter.h"
#include "codegen/halide/QuietStderr.h"
#include "codegen/schedule/KernelInfo.h"
#include "compiler/support/Error.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "targets/host/HostPlan.h"

#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>

using namespace mlir;

namespace kiln::jit {
using namespace kiln::codegen;

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

// A Halide view of `bytes` with a tensor's type and shape (Halide order,
// dense): the runner's buffers are views into the plan's arena, weights,
// inputs and outputs, as the generated C host binds them.
Halide::Buffer<> viewOf(const host::TensorDesc &desc, void *bytes) {
  std::vector<int> sizes(desc.shape.rbegin(), desc.shape.rend());
  return Halide::Buffer<>(halideTypeOf(desc.element.type), bytes, sizes);
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

} // namespace

struct JitRunner::Impl {
  /// The runner's own copy of the module, at phase schedules: the plan's
  /// kernels point into it.
  OwningOpRef<ModuleOp> module;
  host::HostPlan plan;
  std::vector<HostTensor> inputSpecs, outputSpecs;
  /// One per plan kernel.
  std::vector<std::shared_ptr<CompiledKernel>> kernels;
  /// Intermediates, at the plan's offsets (reused by every run).
  AlignedBytes arena;
  /// The plan's weights blob, copied to a 64-byte boundary so that its
  /// 64-byte aligned offsets are aligned in memory (AlignedBytes.h).
  AlignedBytes weights;
  std::vector<KernelStats> stats; ///< one per call
  /// The random state (host::BufferRef::Rng): seed low and high, run low
  /// and high, as the C host's context holds it (runtime/kiln_host.h).
  uint32_t rng[4] = {0, 0, 0, 0};
};

codegen::ScheduleVariant jitVariant(codegen::ScheduleMode mode) {
  return {"jit", "host", /*keepAttachedRecords=*/mode == ScheduleMode::Template};
}

JitRunner::JitRunner() : impl(std::make_unique<Impl>()) {}
JitRunner::~JitRunner() = default;

const std::vector<HostTensor> &JitRunner::inputSpecs() const { return impl->inputSpecs; }
const std::vector<HostTensor> &JitRunner::outputSpecs() const { return impl->outputSpecs; }
const std::vector<KernelStats> &JitRunner::kernelStats() const { return impl->stats; }

static HostTensor specOf(const host::TensorDesc &desc) {
  return HostTensor::zeros(desc.name, desc.element.type, desc.shape);
}

static llvm::Expected<std::shared_ptr<CompiledKernel>> compileKernel(KernelOp kernel,
                                                                     KernelStats &stats) {
  auto start = std::chrono::steady_clock::now();
  auto record = requireSchedule(kernel);
  if (!record)
    return record.takeError();
  stats.schedule = record->str();
  // The key covers the record as attached.
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

// Keeps the first `count` entries of dimension `dim` of a tensor sized for
// its bound, packed to the front of its bytes, as the generated host code
// does (runtime/kiln_host.c, kiln_host_pack_bounded).
static llvm::Error packBounded(HostTensor &t, int64_t dim, int64_t count) {
  int64_t bound = t.shape[dim];
  if (count < 0 || count > bound)
    return makeError("output '" + t.name + "': run-time length " + llvm::Twine(count) +
                     " outside 0.." + llvm::Twine(bound));
  size_t inner = dtypeBytes(t.dtype), outer = 1;
  for (size_t d = dim + 1; d < t.shape.size(); ++d)
    inner *= t.shape[d];
  for (int64_t d = 0; d < dim; ++d)
    outer *= t.shape[d];
  // Row o's kept part moves from o * bound * inner to o * count * inner:
  // never forward, so front to back in place is safe.
  for (size_t o = 0; o < outer; ++o)
    std::memmove(t.data.data() + o * count * inner, t.data.data() + o * bound * inner,
                 count * inner);
  t.shape[dim] = count;
  t.data.resize(t.byteSize());
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<JitRunner>> JitRunner::create(ModuleOp original) {
  std::unique_ptr<JitRunner> runner(new JitRunner());
  Impl &impl = *runner->impl;
  impl.module = OwningOpRef<ModuleOp>(original.clone());
  auto main = impl.module->lookupSymbol<func::FuncOp>("main");
  if (!main)
    return makeError("the module has no func.func @main");
  // The same plan the C and WASM hosts print: kernels deduplicated, one
  // arena with offsets from liveness, in-place results, output copies.
  auto plan = host::planHost(main, "jit");
  if (!plan)
    return plan.takeError();
  impl.plan = std::move(*plan);
  for (const host::TensorDesc &desc : impl.plan.inputs)
    impl.inputSpecs.push_back(specOf(desc));
  // The counts of outputs of data-dependent length are the host's, not the
  // model's: run() reads them and trims their outputs (docs/BOUNDED.md).
  for (const host::TensorDesc &desc : impl.plan.outputs)
    if (desc.countOf < 0)
      impl.outputSpecs.push_back(specOf(desc));
  std::vector<KernelStats> kernelStats(impl.plan.kernels.size());
  for (auto [k, kernel] : llvm::enumerate(impl.plan.kernels)) {
    auto compiled = compileKernel(kernel, kernelStats[k]);
    if (!compiled)
      return compiled.takeError();
    impl.kernels.push_back(*compiled);
  }
  for (const host::KernelCall &call : impl.plan.calls) {
    KernelStats stats = kernelStats[call.kernel];
    stats.kernelName = call.label;
    impl.stats.push_back(stats);
    // A kernel compiled for an earlier call of this runner is cached for the
    // later ones: report only the first compile.
    kernelStats[call.kernel].cached = true;
    kernelStats[call.kernel].compileSeconds = 0;
  }
  impl.arena.assign(impl.plan.arenaBytes, 0);
  impl.weights.assign(impl.plan.weights.begin(), impl.plan.weights.end());
  return runner;
}

llvm::Expected<std::vector<HostTensor>> JitRunner::run(const std::vector<HostTensor> &inputs) {
  Impl &impl = *this->impl;
  if (inputs.size() != impl.inputSpecs.size())
    return makeError("expected " + llvm::Twine(impl.inputSpecs.size()) + " inputs, got " +
                     llvm::Twine(inputs.size()));
  for (auto [i, input] : llvm::enumerate(inputs)) {
    const HostTensor &spec = impl.inputSpecs[i];
    if (input.dtype != spec.dtype || input.shape != spec.shape)
      return makeError("input '" + spec.name + "': expected " + dtypeName(spec.dtype) + " " +
                       shapeString(spec.shape) + ", got " + dtypeName(input.dtype) + " " +
                       shapeString(input.shape));
    if (input.data.size() != spec.byteSize())
      return makeError("input '" + spec.name + "': expected " + llvm::Twine(spec.byteSize()) +
                       " bytes, got " + llvm::Twine(input.data.size()));
  }
  std::vector<HostTensor> outputs;
  for (const host::TensorDesc &desc : impl.plan.outputs) // with the counts
    outputs.push_back(specOf(desc));
  // Where a buffer of the plan lives in this run. Kernels never write their
  // inputs, weights or model inputs included.
  auto addressOf = [&](const host::BufferRef &ref) -> void * {
    switch (ref.kind) {
    case host::BufferRef::Input:
      return const_cast<uint8_t *>(inputs[ref.index].data.data());
    case host::BufferRef::Output:
      return outputs[ref.index].data.data();
    case host::BufferRef::Weight:
      return impl.weights.data() + ref.offset;
    case host::BufferRef::Arena:
      return impl.arena.data() + ref.offset;
    case host::BufferRef::Rng:
      return impl.rng;
    }
    return nullptr;
  };
  auto runCall = [&](unsigned callIndex) -> llvm::Error {
    const host::KernelCall &call = impl.plan.calls[callIndex];
    auto start = std::chrono::steady_clock::now();
    CompiledKernel &k = *impl.kernels[call.kernel];
    size_t numInputs = k.emitted.inputs.size();
    if (call.args.size() != numInputs + k.emitted.outputs.size())
      return makeError("internal: kernel '" + call.label + "' has " +
                       llvm::Twine(call.args.size()) + " buffers, its function takes " +
                       llvm::Twine(numInputs + k.emitted.outputs.size()));
    std::vector<Halide::Buffer<>> outs;
    for (size_t a = numInputs; a < call.args.size(); ++a)
      outs.push_back(viewOf(call.args[a].desc, addressOf(call.args[a])));
    std::lock_guard<std::mutex> lock(k.runMutex);
    try {
      for (size_t a = 0; a < numInputs; ++a)
        k.emitted.inputs[a].set(viewOf(call.args[a].desc, addressOf(call.args[a])));
      Halide::Realization realization(outs);
      k.emitted.pipeline.realize(realization, Halide::get_jit_target_from_environment());
    } catch (const Halide::Error &e) {
      return makeError("kernel '" + call.label + "' failed: " + e.what());
    }
    // Drop the input bindings: the pipeline must not keep views of this run.
    for (Halide::ImageParam &param : k.emitted.inputs)
      param.reset();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double &best = impl.stats[callIndex].bestRunSeconds;
    best = best == 0 ? seconds : std::min(best, seconds);
    return llvm::Error::success();
  };
  // The steps as the C host runs them (HostEmitter.cpp): branches skipped,
  // loop bodies repeated (docs/CONTROL_FLOW.md).
  struct LoopState {
    bool running = false; ///< between its first Loop step and its exit
    bool go = true;       ///< the condition for the next iteration
    int64_t count = 0;    ///< iterations begun
    /// Read once on entry, as the C host does: the trip count's buffer may
    /// be reused by the body.
    int64_t trip = std::numeric_limits<int64_t>::max();
  };
  std::vector<LoopState> loops(impl.plan.loops.size());
  const std::vector<host::HostStep> &steps = impl.plan.steps;
  for (size_t s = 0; s < steps.size(); ++s) {
    const host::HostStep &step = steps[s];
    const host::HostLoop *loop =
        step.index < impl.plan.loops.size() ? &impl.plan.loops[step.index] : nullptr;
    switch (step.kind) {
    case host::HostStep::Call:
      if (llvm::Error err = runCall(step.index))
        return std::move(err);
      break;
    case host::HostStep::Copy:
      if (uint64_t bytes = step.target.desc.bytes()) // an empty vector's data() may be null
        std::memmove(addressOf(step.target), addressOf(step.source), bytes);
      break;
    case host::HostStep::If:
      if (!*static_cast<const uint8_t *>(addressOf(step.source)))
        s = step.match; // the Else (or EndIf): what follows it runs next
      break;
    case host::HostStep::Else:
      s = step.match; // the then branch ran: skip to the EndIf
      break;
    case host::HostStep::EndIf:
      break;
    case host::HostStep::Loop: {
      LoopState &state = loops[step.index];
      if (!state.running) {
        state = LoopState{};
        state.running = true;
        if (loop->hasCondition)
          state.go = *static_cast<const uint8_t *>(addressOf(loop->condition)) != 0;
        if (loop->hasTripCount)
          state.trip = *static_cast<const int64_t *>(addressOf(loop->tripCount));
      }
      if (!state.go || state.count >= state.trip) {
        for (const host::HostLoop::Scan &scan : loop->scans)
          if (uint64_t(state.count) != scan.rows)
            return makeError("loop '" + loop->label + "' ran " + llvm::Twine(state.count) +
                             " iterations; its scan outputs hold " + llvm::Twine(scan.rows) +
                             " rows");
        state.running = false;
        s = step.match; // past the EndLoop
        break;
      }
      *static_cast<int64_t *>(addressOf(loop->iteration)) = state.count;
      *static_cast<uint8_t *>(addressOf(loop->conditionIn)) = 1;
      break;
    }
    case host::HostStep::LoopCondition:
      loops[step.index].go = *static_cast<const uint8_t *>(addressOf(loop->conditionOut)) != 0;
      break;
    case host::HostStep::ScanStore: {
      const host::HostLoop::Scan &scan = loop->scans[step.scan];
      int64_t n = loops[step.index].count;
      if (uint64_t(n) >= scan.rows)
        return makeError("loop '" + loop->label + "' runs more iterations than its scan outputs' " +
                         llvm::Twine(scan.rows) + " rows");
      uint64_t bytes = scan.element.desc.bytes();
      std::memcpy(static_cast<uint8_t *>(addressOf(scan.stacked)) + n * bytes,
                  addressOf(scan.element), bytes);
      break;
    }
    case host::HostStep::EndLoop:
      ++loops[step.index].count;
      s = step.match - 1; // the Loop step again
      break;
    }
  }
  for (const host::OutputCopy &copy : impl.plan.copies)
    if (size_t bytes = outputs[copy.output].byteSize()) // the plan copies no empty output
      std::memcpy(outputs[copy.output].data.data(), addressOf(copy.source), bytes);
  for (auto [i, desc] : llvm::enumerate(impl.plan.outputs))
    if (desc.boundedDim >= 0)
      if (llvm::Error err =
              packBounded(outputs[i], desc.boundedDim, *outputs[desc.countOutput].as<int64_t>()))
        return std::move(err);
  outputs.resize(impl.outputSpecs.size()); // the counts come last
  if (++impl.rng[2] == 0)                  // the next run samples afresh, as the C host's does
    ++impl.rng[3];
  return outputs;
}

void JitRunner::setSeed(uint64_t seed) {
  impl->rng[0] = static_cast<uint32_t>(seed);
  impl->rng[1] = static_cast<uint32_t>(seed >> 32);
  impl->rng[2] = impl->rng[3] = 0;
}

} // namespace kiln::jit
