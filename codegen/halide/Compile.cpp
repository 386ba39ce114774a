//===- Compile.cpp - kernels to object files, ahead of time ---------------===//
#include "codegen/halide/Compile.h"

#include "codegen/halide/ApplySchedule.h"
#include "codegen/halide/KernelEmitter.h"
#include "codegen/halide/QuietStderr.h"
#include "codegen/halide/Scratch.h"
#include "compiler/support/Error.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <map>
#include <optional>

namespace kiln::codegen {

// Which runtime functions the object needs, read from its symbol table (ELF
// or wasm alike): that is where Halide's choice of heap or stack shows.
static llvm::Error scanUndefinedSymbols(llvm::StringRef path, CompiledKernelInfo &info) {
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary)
    return makeError("cannot read back '" + path + "': " + llvm::toString(binary.takeError()));
  for (const llvm::object::SymbolRef &symbol : binary->getBinary()->symbols()) {
    auto flags = symbol.getFlags();
    if (!flags || !(*flags & llvm::object::SymbolRef::SF_Undefined)) {
      if (!flags)
        llvm::consumeError(flags.takeError());
      continue;
    }
    auto name = symbol.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name == "halide_malloc")
      info.heapAllocates = true;
    if (*name == "halide_do_par_for")
      info.parallel = true;
  }
  return llvm::Error::success();
}

// Emits `kernel` afresh (a schedule is applied in place, so every attempt
// needs its own Funcs), schedules it as `record` says and writes the object.
// Returns the record in effect.
static llvm::Expected<ScheduleRecord>
emitAndCompile(KernelOp kernel, const ScheduleRecord &record, const Halide::Target &target,
               llvm::StringRef functionName, llvm::StringRef objectPath,
               const CompileOptions &options, KernelScratch &scratch) {
  // The autoschedulers and the lowering of their schedules print progress
  // and advice on stderr; errors come back as exceptions.
  std::optional<QuietStderr> quiet;
  if (record.mode != ScheduleMode::Template)
    quiet.emplace();
  auto emitted = emitKernel(kernel);
  if (!emitted)
    return emitted.takeError();
  auto applied = applySchedule(*emitted, record, target);
  if (!applied)
    return applied.takeError();
  try {
    // One lowering for the object, the header and the scratch it needs.
    Halide::Module module =
        emitted->pipeline.compile_to_module(emitted->arguments(), functionName.str(), target);
    std::map<Halide::OutputFileType, std::string> outputs = {
        {Halide::OutputFileType::object, objectPath.str()}};
    if (!options.headerPath.empty())
      outputs[Halide::OutputFileType::c_header] = options.headerPath;
    if (!options.bitcodePath.empty())
      outputs[Halide::OutputFileType::bitcode] = options.bitcodePath;
    module.compile(outputs);
    scratch = findScratch(module);
  } catch (const Halide::Error &e) {
    return makeError("kernel '" + kernel.getKernelName() + "': Halide failed: " + e.what());
  }
  return applied;
}

// The first line of an error, without the "kernel 'name': " prefix that the
// warning repeats anyway.
static std::string reasonOf(llvm::Error err, llvm::StringRef kernelName) {
  std::string text = llvm::toString(std::move(err));
  llvm::StringRef reason = llvm::StringRef(text).trim();
  reason.consume_front(("kernel '" + kernelName + "': ").str());
  return reason.take_until([](char c) { return c == '\n'; }).rtrim().str();
}

llvm::Expected<CompiledKernelInfo>
compileKernelObject(KernelOp kernel, llvm::StringRef functionName, llvm::StringRef target,
                    llvm::StringRef objectPath, const CompileOptions &options) {
  auto start = std::chrono::steady_clock::now();
  CompiledKernelInfo info;
  info.functionName = functionName.str();
  auto halideTarget = parseHalideTarget(target);
  if (!halideTarget)
    return halideTarget.takeError();
  halideTarget->set_feature(Halide::Target::NoRuntime);
  auto record = requireSchedule(kernel);
  if (!record)
    return record.takeError();
  auto applied = emitAndCompile(kernel, *record, *halideTarget, functionName, objectPath, options,
                                info.scratch);
  if (!applied && record->mode != ScheduleMode::Template && options.fallbackToTemplate) {
    // The record carries the template's knobs for this case (the schedules
    // phase put them there): codegen applies records, it never picks one.
    info.fallbackReason = reasonOf(applied.takeError(), kernel.getKernelName());
    ScheduleRecord fallback = *record;
    fallback.mode = ScheduleMode::Template;
    applied = emitAndCompile(kernel, fallback, *halideTarget, functionName, objectPath, options,
                             info.scratch);
  }
  if (!applied)
    return applied.takeError();
  info.schedule = *applied;
  if (llvm::Error err = scanUndefinedSymbols(objectPath, info))
    return std::move(err);
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return info;
}

std::string scheduleLabel(const CompiledKernelInfo &info, ScheduleMode requested) {
  const ScheduleRecord &r = info.schedule;
  std::string label = r.mode == ScheduleMode::Template
                          ? ("template:" + patternName(r.pattern)).str()
                          : scheduleModeName(r.mode);
  if (!info.fallbackReason.empty())
    label += " (" + scheduleModeName(requested) + " failed)";
  return label;
}

std::string fallbackWarning(llvm::StringRef kernelName, const CompiledKernelInfo &info,
                            ScheduleMode requested) {
  if (info.fallbackReason.empty())
    return "";
  return ("kernel '" + kernelName + "': " + scheduleModeName(requested) + " failed (" +
          info.fallbackReason + "); compiled with the template schedule")
      .str();
}

llvm::Error compileRuntimeObject(llvm::StringRef target, llvm::StringRef objectPath) {
  auto halideTarget = parseHalideTarget(target);
  if (!halideTarget)
    return halideTarget.takeError();
  try {
    Halide::compile_standalone_runtime(objectPath.str(), *halideTarget);
  } catch (const Halide::Error &e) {
    return makeError("cannot compile Halide's runtime for '" + target + "': " + e.what());
  }
  return llvm::Error::success();
}

} // namespace kiln::codegen
