//===- CpuPlatform.cpp - what --cpu and --cpu-features build for ----------===//
#include "targets/cpu/CpuPlatform.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

namespace kiln {

llvm::StringRef supportedCpus() { return "host, arm64-linux, arm64-android or arm64-ios"; }

/// The clang flags that match a Halide target's sanitizer feature.
static std::vector<std::string> sanitizerFlags(llvm::StringRef halideTarget) {
  if (halideTarget.ends_with("-tsan"))
    return {"-fsanitize=thread", "-g"};
  // UBSan too: Halide's asan feature covers only memory in the kernels; the
  // runtime and host C that kilnc compiles get both (link with
  // -fsanitize=address,undefined).
  if (halideTarget.ends_with("-asan"))
    return {"-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"};
  return {};
}

static llvm::Expected<CpuPlatform> hostPlatform(llvm::StringRef features) {
  // A sanitizer suffix instruments everything the artifact holds: Halide's
  // tsan/asan features for the kernels and its runtime, -fsanitize for the
  // C (test/e2e/threads.test.mjs links it into a program built with TSan).
  std::string sanitizer;
  for (llvm::StringRef suffix : {"-tsan", "-asan"})
    if (features.consume_back(suffix))
      sanitizer = suffix.str();
  CpuPlatform p;
  if (features.empty() || features == "host")
    p.halideTarget = "host";
  else if (features == "sse41")
    p.halideTarget = "x86-64-linux-sse41";
  else if (features == "avx2")
    p.halideTarget = "x86-64-linux-avx-avx2-f16c-fma-sse41";
  else if (features == "avx512")
    p.halideTarget = "x86-64-linux-avx-avx2-f16c-fma-sse41-avx512-avx512_skylake";
  else
    return makeError(
        "unknown --cpu-features '" + features +
        "' for --cpu=host (expected host, sse41, avx2 or avx512, optionally with -tsan "
        "or -asan)");
  p.halideTarget += sanitizer;
  p.cFlags = sanitizerFlags(p.halideTarget);
  return p;
}

// Debian's arm64 C headers (gcc-aarch64-linux-gnu brings them): the headers
// the Android and iOS C is compiled against (CpuPlatform.h says why that is
// sound for this C).
static const char *const kArm64Headers = "/usr/aarch64-linux-gnu/include";

static llvm::Expected<CpuPlatform> arm64Platform(llvm::StringRef cpu, llvm::StringRef features) {
  CpuPlatform p;
  p.cpu = cpu.str();
  std::string halideOs;
  if (cpu == "arm64-linux") {
    halideOs = "linux";
    p.cCompiler = "aarch64-linux-gnu-gcc";
    p.asmFlags = {"--target=aarch64-linux-gnu"};
  } else if (cpu == "arm64-android") {
    // API level 28: the first bionic with aligned_alloc, which NAME.c calls.
    // The sysroot has no usr/include: only these headers and clang's own are
    // searched, never this machine's x86 ones.
    halideOs = "android";
    p.cFlags = {"--target=aarch64-linux-android28", "--sysroot=/usr/aarch64-linux-gnu", "-isystem",
                kArm64Headers};
    p.asmFlags = {"--target=aarch64-linux-android28"};
  } else {
    // iOS 13: the first with aligned_alloc.
    halideOs = "ios";
    p.format = ObjectFormat::MachO;
    // The sysroot has no usr/include: only these headers and clang's own are
    // searched. Clang predefines __nonnull on Darwin, which glibc's headers
    // use as their own macro.
    p.cFlags = {"--target=arm64-apple-ios13.0",
                "-isysroot",
                "/usr/aarch64-linux-gnu",
                "-isystem",
                kArm64Headers,
                "-U__nonnull"};
    p.asmFlags = {"--target=arm64-apple-ios13.0"};
    p.arFlags = {"--format=darwin"};
  }
  p.halideTarget = "arm-64-" + halideOs;
  if (features == "host" || features.empty())
    return p;
  llvm::SmallVector<llvm::StringRef> names;
  features.split(names, ',');
  bool dotprod = false, fp16 = false;
  for (llvm::StringRef f : names) {
    if (f == "dotprod")
      dotprod = true;
    else if (f == "fp16")
      fp16 = true;
    else
      return makeError("unknown --cpu-features '" + f + "' for --cpu=" + cpu +
                       " (expected dotprod, fp16, or both comma-separated; empty for baseline "
                       "ARMv8-A with NEON)");
  }
  // Halide's order of features does not matter; keep one spelling so that
  // a tuning database's target strings compare equal.
  if (dotprod)
    p.halideTarget += "-arm_dot_prod";
  if (fp16)
    p.halideTarget += "-arm_fp16";
  return p;
}

llvm::Expected<CpuPlatform> resolveCpuPlatform(llvm::StringRef cpu, llvm::StringRef features) {
  if (cpu.empty() || cpu == "host")
    return hostPlatform(features);
  if (cpu == "arm64-linux" || cpu == "arm64-android" || cpu == "arm64-ios")
    return arm64Platform(cpu, features);
  return makeError("unknown --cpu '" + cpu + "' (expected " + supportedCpus() + ")");
}

} // namespace kiln
