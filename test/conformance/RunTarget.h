//===- RunTarget.h - one node test through a target's real artifact -*- C++ -*-===//
//
// kiln-conformance --target=spirv|wasm: the imported test model is compiled
// by the target's own code (targets/Targets.h, as kilnc does), written to a
// temporary folder and run through what a user would run: for spirv the
// generated NAME.h/libNAME.a with libkiln_runtime_vulkan.a, linked into
// test/e2e/native/spirv_runner.c, on the Vulkan driver VK_ICD_FILENAMES names
// (lavapipe by default); for wasm the generated module and loader in Node
// (test/conformance/wasm_runner.mjs). Tensors travel as raw files.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_CONFORMANCE_RUNTARGET_H
#define KILN_TEST_CONFORMANCE_RUNTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "targets/jit/HostTensor.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::conformance {

/// What one target run produced: outputs, or the stage that failed. A
/// compile error means the target does not support the test; an error in
/// linking or running the artifact is a failure.
struct TargetRun {
  bool compiled = false;
  std::string error; ///< empty on success
  std::vector<jit::HostTensor> outputs;
};

/// Whether `name` is a target kiln-conformance can run besides the JIT.
bool isArtifactTarget(llvm::StringRef name);

/// Compiles `module` (phase Import, as imported) for `target` and runs it on
/// `inputs`; outputs get the dtypes and shapes of `expected`.
TargetRun runOnTarget(mlir::ModuleOp module, llvm::StringRef target,
                      const std::vector<jit::HostTensor> &inputs,
                      const std::vector<jit::HostTensor> &expected);

} // namespace kiln::conformance

#endif
