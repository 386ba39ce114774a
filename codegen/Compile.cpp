//===- Compile.cpp - kernels to object files, ahead of time ---------------===//
#include "codegen/Compile.h"

#include "codegen/ApplySchedule.h"
#include "codegen/KernelEmitter.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <chrono>

namespace kiln::codegen {

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<ScheduleRecord> resolveSchedule(KernelOp kernel, llvm::StringRef target,
                                               ScheduleMode defaultMode) {
  auto attached = getSchedule(kernel);
  if (!attached)
    return attached.takeError();
  if (*attached)
    return **attached;
  ScheduleRecord record;
  if (defaultMode != ScheduleMode::Template) {
    record.mode = defaultMode;
    return record;
  }
  auto info = parseTargetInfo(target);
  if (!info)
    return info.takeError();
  return chooseTemplate(kernel, *info);
}

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
  auto record = resolveSchedule(kernel, target, options.defaultMode);
  if (!record)
    return record.takeError();
  auto emitted = emitKernel(kernel);
  if (!emitted)
    return emitted.takeError();
  auto applied = applySchedule(*emitted, *record, *halideTarget);
  if (!applied)
    return applied.takeError();
  info.schedule = *applied;
  try {
    emitted->pipeline.compile_to_object(objectPath.str(), emitted->arguments(), functionName.str(),
                                        *halideTarget);
    if (!options.headerPath.empty())
      emitted->pipeline.compile_to_header(options.headerPath, emitted->arguments(),
                                          functionName.str(), *halideTarget);
  } catch (const Halide::Error &e) {
    return makeError("kernel '" + kernel.getKernelName() + "': Halide failed: " + e.what());
  }
  if (llvm::Error err = scanUndefinedSymbols(objectPath, info))
    return std::move(err);
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return info;
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
