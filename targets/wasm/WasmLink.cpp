//===- WasmLink.cpp - linking one WebAssembly module for a model ----------===//
#include "targets/wasm/WasmLink.h"

#include "compiler/support/Error.h"
#include "targets/common/Toolchain.h"
#include "targets/host/HostEmitter.h"
#include "targets/wasm/ImageAdapter.h"
#include "targets/wasm/WasmBinary.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

namespace kiln::wasm {

namespace {
#include "runtime/RuntimeSources.inc"
#include "targets/wasm/WasmSources.inc"
} // namespace

static std::string join(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, name);
  return path.str().str();
}

/// Halide kernels put small intermediates on the stack; 1 MiB leaves room for
/// the schedules' tiles. The stack comes first, so an overflow traps instead
/// of writing over static data.
constexpr const char *kStackSize = "stack-size=1048576";

std::vector<std::string> moduleExports(llvm::StringRef modelName) {
  std::vector<std::string> names;
  for (const char *fn : {"_create", "_run", "_destroy", "_last_error", "_set_seed"})
    names.push_back((modelName + fn).str());
  // The shim marks its own exports (export_name); listed here for the loader.
  for (const char *fn : {"_initialize", "kiln_malloc", "kiln_free", "kiln_heap_in_use",
                         "kiln_message", "kiln_clear_message"})
    names.push_back(fn);
  return names;
}

std::vector<std::string> threadExports() {
  return {"kiln_worker_set_stack", "kiln_worker_loop",   "kiln_threads_stop",
          "kiln_threads_running",  "kiln_threads_tasks", "kiln_threads_caller_may_block"};
}

/// Static assertions on what the loader assumes of the generated C on wasm32:
/// a mismatch fails the build here instead of corrupting memory in a browser.
static std::string abiCheckSource(const host::HostPlan &plan, bool externalWeights) {
  const std::string &m = plan.modelName;
  std::string text = "#include \"" + m + ".h\"\n#include <stddef.h>\n" +
                     "_Static_assert(sizeof(void *) == 4 && sizeof(size_t) == 4, \"wasm32\");\n";
  // Only external weights need options; the loader passes NULL otherwise.
  if (externalWeights)
    text += "_Static_assert(sizeof(" + m + "_options) == " + std::to_string(kOptionsSize) +
            " && offsetof(" + m + "_options, weights) == " + std::to_string(kOptionsWeightsOffset) +
            " && offsetof(" + m +
            "_options, weights_size) == " + std::to_string(kOptionsWeightsSizeOffset) +
            ", \"the loader writes the options at these offsets\");\n";
  return text;
}

/// The weights as a read-only data segment: an assembler stub that includes
/// the blob (a C array of 14 MB would take far longer to compile).
static llvm::Error buildWeightsObject(const host::HostPlan &plan, llvm::StringRef dir,
                                      std::string &object) {
  std::string bin = join(dir, "weights.bin");
  if (auto err = toolchain::writeFile(
          bin, llvm::StringRef(reinterpret_cast<const char *>(plan.weights.data()),
                               plan.weights.size())))
    return err;
  std::string sym = plan.modelName + "_weights";
  std::string asmText = "\t.section .rodata." + sym + ",\"\",@\n\t.globl " + sym +
                        "\n\t.p2align 6\n" + sym + ":\n\t.incbin \"" + bin + "\"\n\t.int8 0\n" +
                        "\t.size " + sym + ", " + std::to_string(plan.weights.size() + 1) + "\n";
  std::string asmFile = join(dir, "weights.s");
  if (auto err = toolchain::writeFile(asmFile, asmText))
    return err;
  object = join(dir, "weights.o");
  return toolchain::run("clang-19", {"--target=wasm32", "-c", asmFile, "-o", object});
}

/// compiler-rt's builtins (128-bit arithmetic and the like) and, for the few
/// math functions Halide leaves to libc (tanhf, ...), wasi-libc's libc.a:
/// archives only contribute what is still undefined after the shim, and the
/// import check below refuses anything that would reach for WASI.
static std::vector<std::string> supportLibraries() {
  std::vector<std::string> libs;
  for (const char *path : {"/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a",
                           "/usr/lib/wasm32-wasi/libc.a"})
    if (llvm::sys::fs::exists(path))
      libs.push_back(path);
  return libs;
}

static llvm::Error compileC(llvm::StringRef source, llvm::StringRef object, bool simd, bool threads,
                            llvm::StringRef includeDir) {
  std::vector<std::string> args = {"--target=wasm32", "-O2",
                                   "-std=c11",        "-ffreestanding",
                                   "-nostdlibinc",    "-fvisibility=hidden",
                                   "-Wall",           "-Wno-unused-parameter"};
  if (simd) {
    args.push_back("-msimd128");
    args.push_back("-mbulk-memory");
  }
  if (threads)
    args.push_back("-matomics");
  for (std::string a : {std::string("-I"), includeDir.str(), std::string("-I"),
                        std::string(KILN_HALIDE_INCLUDE_DIR), std::string("-c"), source.str(),
                        std::string("-o"), object.str()})
    args.push_back(a);
  return toolchain::run("clang-19", args);
}

/// A threaded module imports its shared memory and nothing else.
static llvm::Error checkNoImports(llvm::StringRef wasmPath, bool threads) {
  auto buffer = llvm::MemoryBuffer::getFile(wasmPath);
  if (!buffer)
    return makeError("cannot read '" + wasmPath + "': " + buffer.getError().message());
  auto imports = listImports((*buffer)->getBuffer());
  if (!imports)
    return imports.takeError();
  if (threads)
    llvm::erase(*imports, "env.memory");
  if (!imports->empty())
    return makeError("the linked module still imports " + llvm::join(*imports, ", ") +
                     " (add them to targets/wasm/shim/kiln_wasm_shim.c)");
  return llvm::Error::success();
}

llvm::Error linkModule(const LinkInputs &in, llvm::StringRef workDir, llvm::StringRef wasmPath) {
  const host::HostPlan &plan = *in.plan;
  const std::string &m = plan.modelName;
  if (in.kernelObjects.size() != plan.kernels.size())
    return makeError("internal: " + llvm::Twine(in.kernelObjects.size()) + " kernel objects for " +
                     llvm::Twine(plan.kernels.size()) + " kernels");

  // The shim's libc headers come first on the include path: the generated C
  // and HalideRuntime.h include <string.h> and <stdlib.h>.
  std::string include = join(workDir, "include");
  if (auto ec = llvm::sys::fs::create_directories(include))
    return makeError("cannot create '" + include + "': " + ec.message());
  // Tables instead of unrolled calls: a fifth of the host code's bytes.
  host::HostOptions hostOptions{in.sourceName, in.externalWeights, /*compactCalls=*/true};
  // The loader checks run's arguments (loader/loader.mjs).
  hostOptions.leanChecks = true;
  std::pair<std::string, std::string> files[] = {
      {join(include, "string.h"), kShimStringH},
      {join(include, "stdlib.h"), kShimStdlibH},
      {join(include, "kiln_runtime.h"), kKilnRuntimeH},
      {join(include, "kiln_host.h"), kKilnHostH},
      // Beside the source that includes it; named after the model.
      {join(workDir, m + ".h"), host::emitHeader(plan, hostOptions)},
      {join(workDir, "host.c"), host::emitSource(plan, hostOptions)},
      {join(workDir, "abi_check.c"), abiCheckSource(plan, in.externalWeights)},
      {join(workDir, "kiln_runtime.c"), kKilnRuntimeC},
      {join(workDir, "kiln_host.c"), kKilnHostC},
      {join(workDir, "kiln_wasm_shim.c"), kShimC},
  };
  for (const auto &[path, text] : files)
    if (auto err = toolchain::writeFile(path, text))
      return err;

  std::vector<std::string> objects = in.kernelObjects;
  objects.push_back(in.halideRuntimeObject);
  std::vector<std::string> units = {"host", "abi_check", "kiln_runtime", "kiln_host",
                                    "kiln_wasm_shim"};
  if (!in.imageAdapterObject.empty()) {
    objects.push_back(in.imageAdapterObject);
    units.push_back("image_adapter");
    if (auto err = toolchain::writeFile(join(workDir, "image_adapter.c"), in.imageAdapterGlue))
      return err;
  }
  for (const std::string &unit : units) {
    std::string object = join(workDir, unit + ".o");
    if (auto err = compileC(join(workDir, unit + ".c"), object, in.simd || in.threads, in.threads,
                            include))
      return err;
    objects.push_back(object);
  }
  if (!in.externalWeights) {
    std::string weights;
    if (auto err = buildWeightsObject(plan, workDir, weights))
      return err;
    objects.push_back(weights);
  }

  // KILN_WASM_NAMES=1 keeps the name section (function names: 1-3 KB), for
  // profiles that name the kernels (benchmarks/wasm/kernels.mjs); never for a
  // shipped module.
  const char *names = std::getenv("KILN_WASM_NAMES");
  bool keepNames = names && llvm::StringRef(names) == "1";
  std::vector<std::string> args = {"--no-entry",
                                   "--gc-sections",
                                   keepNames ? "--strip-debug" : "--strip-all",
                                   "--stack-first",
                                   "-z",
                                   kStackSize,
                                   "-o",
                                   wasmPath.str()};
  args.insert(args.end(), objects.begin(), objects.end());
  for (const std::string &lib : supportLibraries())
    args.push_back(lib);
  for (const std::string &name : moduleExports(m))
    args.push_back("--export=" + name);
  if (!in.imageAdapterObject.empty())
    args.push_back(std::string("--export=") + kImageExport);
  if (in.threads) {
    for (const std::string &name : threadExports())
      args.push_back("--export=" + name);
    for (const char *flag : {"--shared-memory", "--import-memory", "--export-memory"})
      args.push_back(flag);
    args.push_back("--max-memory=" + std::to_string(uint64_t(kThreadsMaxPages) << 16));
  }
  if (auto err = toolchain::run("wasm-ld-19", args))
    return err;
  return checkNoImports(wasmPath, in.threads);
}

} // namespace kiln::wasm
