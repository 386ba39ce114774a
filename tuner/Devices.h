//===- Devices.h - where kiln-tune measures: target and device pairs -*- C++ -*-===//
//
// Which runner measures a target on a device: native code is
// tuner/runners/library_runner.mjs --target=cpu under node (each candidate
// compiled ahead of time as kilnc compiles it, `kiln-tune --compile-task
// cpu`, and run through the library's runtime in a process of its own), or
// with `jit` kiln-tune itself (`--runner`, Halide's JIT, tuner/RunnerMain.h);
// WASM in Node or in headless Chromium is tuner/runners/wasm_runner.mjs,
// the Vulkan runner library_runner.mjs --target=spirv. All speak the
// protocol of tuner/Runner.h.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_DEVICES_H
#define KILN_TUNER_DEVICES_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::tuner {

/// The devices a target is tuned on, for messages ("native", "node|chromium").
std::string devicesOf(llvm::StringRef target);

/// The runner's argv for `target` on `device` (`self`: kiln-tune's path);
/// empty for the JIT runner (`self --runner`: native with `jit`). An error
/// names the pair that is not supported or what is missing (node, the
/// runner script).
llvm::Expected<std::vector<std::string>> runnerCommand(llvm::StringRef target,
                                                       llvm::StringRef device, llvm::StringRef self,
                                                       bool jit = false);

} // namespace kiln::tuner

#endif
