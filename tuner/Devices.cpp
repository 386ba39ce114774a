//===- Devices.cpp - where kiln-tune measures: target and device pairs ----===//
#include "tuner/Devices.h"

#include "compiler/support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace kiln::tuner {

std::string devicesOf(llvm::StringRef target) {
  if (target == "cpu")
    return "native";
  if (target == "wasm")
    return "node|chromium";
  if (target == "spirv")
    return "vulkan";
  return "";
}

// node and a runner script: `what` names the runner in errors.
static llvm::Expected<std::vector<std::string>>
nodeRunner(llvm::StringRef device, llvm::StringRef file, llvm::StringRef what, llvm::StringRef self,
           llvm::StringRef flag) {
  auto node = llvm::sys::findProgramByName("node");
  if (!node)
    return makeError("--device=" + device + " needs node on PATH (scripts/setup.sh)");
  // The script is read from the source tree this kiln-tune was built
  // from; KILN_TUNE_RUNNERS points elsewhere (an installed copy).
  const char *env = std::getenv("KILN_TUNE_RUNNERS");
  llvm::SmallString<256> script(env && *env ? env : KILN_SOURCE_DIR "/tuner/runners");
  llvm::sys::path::append(script, file);
  if (!llvm::sys::fs::exists(script))
    return makeError("the " + what + " runner '" + script + "' is missing (set KILN_TUNE_RUNNERS)");
  return std::vector<std::string>{*node, script.str().str(), ("--kiln-tune=" + self).str(),
                                  flag.str()};
}

llvm::Expected<std::vector<std::string>>
runnerCommand(llvm::StringRef target, llvm::StringRef device, llvm::StringRef self, bool jit) {
  if (target == "cpu" && device == "native")
    return jit ? std::vector<std::string>{}
               : nodeRunner(device, "library_runner.mjs", "native", self, "--target=cpu");
  if (target == "wasm" && (device == "node" || device == "chromium"))
    return nodeRunner(device, "wasm_runner.mjs", "WASM", self, ("--device=" + device).str());
  if (target == "spirv" && device == "vulkan")
    return nodeRunner(device, "library_runner.mjs", "Vulkan", self, "--target=spirv");
  std::string devices = devicesOf(target);
  return makeError("--target=" + target + " --device=" + device + " cannot be tuned" +
                   (devices.empty() ? " (kiln-tune tunes --target=cpu, wasm and spirv)"
                                    : " (devices for --target=" + target + ": " + devices + ")"));
}

} // namespace kiln::tuner
