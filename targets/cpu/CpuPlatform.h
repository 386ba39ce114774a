//===- CpuPlatform.h - what --cpu and --cpu-features build for -----*- C++ -*-===//
//
// `kilnc --target=cpu` builds for this machine (`--cpu=host`, the default)
// or cross-compiles for arm64 (`--cpu=arm64-linux|arm64-android|arm64-ios`).
// A CpuPlatform is everything that choice decides, resolved once from the
// two options: Halide's target (kernels and Halide's runtime), the C
// compiler and flags for the generated entry point and Kiln's runtime, the
// assembler flags for the weights object, and the archive format. The
// emitter (CpuTarget.cpp) only follows it.
//
// C for arm64: Linux uses Debian's cross compiler (aarch64-linux-gnu-gcc,
// scripts/setup.sh). Android and iOS have no SDK on a Debian machine, so
// their C is compiled by clang-19 for the right triple against Debian's
// arm64 C headers (/usr/aarch64-linux-gnu/include): that C calls only ISO C
// functions (malloc, calloc, aligned_alloc, free, memcpy, memset), whose
// declarations and LP64 ABI are the same in glibc, bionic and Apple's libc.
// test/e2e/arm64.test.mjs checks each object's architecture, OS and
// undefined symbols; linking into an app needs the NDK or Xcode.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_CPU_CPUPLATFORM_H
#define KILN_TARGETS_CPU_CPUPLATFORM_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln {

enum class ObjectFormat { Elf, MachO };

struct CpuPlatform {
  /// The --cpu value: "host", "arm64-linux", "arm64-android", "arm64-ios".
  std::string cpu = "host";
  /// Halide target of the kernels and of Halide's runtime: "host",
  /// "x86-64-linux-avx2-...", "arm-64-android-arm_dot_prod", ...
  std::string halideTarget = "host";
  ObjectFormat format = ObjectFormat::Elf;
  /// The C compiler (a name found by toolchain::findTool) and the flags that
  /// select the platform (triple, headers, sanitizer), before -c.
  std::string cCompiler = "clang-19";
  std::vector<std::string> cFlags;
  /// clang-19 flags that assemble the weights stub for the platform.
  std::vector<std::string> asmFlags;
  /// llvm-ar-19 flags before "rcs" (iOS: the BSD/Darwin archive format).
  std::vector<std::string> arFlags;

  bool isCross() const { return cpu != "host"; }
};

/// The --cpu values Kiln serves, for messages.
llvm::StringRef supportedCpus();

/// Resolves --cpu and --cpu-features. x86 (--cpu=host) takes host, sse41,
/// avx2 or avx512, each optionally followed by -tsan or -asan (everything
/// instrumented: link into a program built with the same -fsanitize, which
/// for -asan is address,undefined: the C gets UBSan too;
/// sse41-tsan, 128-bit vectors, is the one whose every access ThreadSanitizer
/// checks). arm64 takes "host" or "" (baseline ARMv8-A with NEON) or a
/// comma-separated list of dotprod (ARMv8.2 dot product) and fp16. Anything
/// else is an error that lists what is accepted.
llvm::Expected<CpuPlatform> resolveCpuPlatform(llvm::StringRef cpu, llvm::StringRef features);

} // namespace kiln

#endif
