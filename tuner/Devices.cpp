//===- Devices.cpp - where kiln-tune measures: target and device pairs ----===//
#include "tuner/Devices.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace kiln::tuner {

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string devicesOf(llvm::StringRef target) {
  if (target == "cpu")
    return "native";
  if (target == "wasm")
    return "node|chromium";
  if (target == "spirv")
    return "vulkan";
  return "";
}

llvm::Expected<std::vector<std::string>>
runnerCommand(llvm::StringRef target, llvm::StringRef device, llvm::StringRef self) {
  if (target == "cpu" && device == "native")
    return std::vector<std::string>{};
  if (target == "wasm" && (device == "node" || device == "chromium")) {
    auto node = llvm::sys::findProgramByName("node");
    if (!node)
      return makeError("--device=" + device + " needs node on PATH (scripts/setup.sh)");
    // The script is read from the source tree this kiln-tune was built
    // from; KILN_TUNE_RUNNERS points elsewhere (an installed copy).
    const char *env = std::getenv("KILN_TUNE_RUNNERS");
    llvm::SmallString<256> script(env && *env ? env : KILN_SOURCE_DIR "/tuner/runners");
    llvm::sys::path::append(script, "wasm_runner.mjs");
    if (!llvm::sys::fs::exists(script))
      return makeError("the WASM runner '" + script + "' is missing (set KILN_TUNE_RUNNERS)");
    return std::vector<std::string>{*node, script.str().str(), ("--kiln-tune=" + self).str(),
                                    ("--device=" + device).str()};
  }
  if (target == "spirv" && device == "vulkan") {
    auto node = llvm::sys::findProgramByName("node");
    if (!node)
      return makeError("--device=vulkan needs node on PATH (scripts/setup.sh)");
    const char *env = std::getenv("KILN_TUNE_RUNNERS");
    llvm::SmallString<256> script(env && *env ? env : KILN_SOURCE_DIR "/tuner/runners");
    llvm::sys::path::append(script, "vulkan_runner.mjs");
    if (!llvm::sys::fs::exists(script))
      return makeError("the Vulkan runner '" + script + "' is missing (set KILN_TUNE_RUNNERS)");
    return std::vector<std::string>{*node, script.str().str(), ("--kiln-tune=" + self).str()};
  }
  std::string devices = devicesOf(target);
  return makeError("--target=" + target + " --device=" + device + " cannot be tuned" +
                   (devices.empty() ? " (kiln-tune tunes --target=cpu, wasm and spirv)"
                                    : " (devices for --target=" + target + ": " + devices + ")"));
}

} // namespace kiln::tuner
