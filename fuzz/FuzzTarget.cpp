//===- FuzzTarget.cpp - one libFuzzer target per untrusted input ----------===//
//
// Linked four times (fuzz/CMakeLists.txt), once per input Kiln reads from
// users; the executable's name, kiln-fuzz-<target>, says which
// (fuzz/FuzzInputs.h says what its bytes mean). One object for all four
// keeps the fuzz build short. An input whose outcome breaks the importers'
// promise aborts, so that libFuzzer keeps it as a crash, like a sanitizer
// report. The onnx and tfjs-json targets mutate structure half the time
// (fuzz/Mutators.h).
//
//===----------------------------------------------------------------------===//
#include "fuzz/FuzzInputs.h"
#include "fuzz/Mutators.h"

#include <cstdio>
#include <cstdlib>

namespace {
std::optional<kiln::fuzz::Target> target;
std::string targetName;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  llvm::StringRef name = llvm::sys::path::filename((*argv)[0]);
  if (name.consume_front("kiln-fuzz-"))
    target = kiln::fuzz::parseTarget(name);
  if (!target) {
    std::fprintf(stderr,
                 "kiln-fuzz: run me as kiln-fuzz-<onnx|onnx-text|tfjs-json|tfjs-weights>\n");
    std::exit(2);
  }
  targetName = name.str();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static kiln::fuzz::Scratch scratch;
  std::string problem = kiln::fuzz::runInput(
      *target, scratch, llvm::StringRef(reinterpret_cast<const char *>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "kiln-fuzz-%s: %s\n", targetName.c_str(), problem.c_str());
    std::abort();
  }
  return 0;
}

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t maxSize,
                                          unsigned int seed) {
  static const std::vector<std::string> onnxWords = kiln::fuzz::dictionaryWords("onnx");
  static const std::vector<std::string> tfjsWords = kiln::fuzz::dictionaryWords("tfjs");
  size_t mutated = 0;
  if (*target == kiln::fuzz::Target::Onnx)
    mutated = kiln::fuzz::mutateOnnx(data, size, maxSize, seed, onnxWords);
  else if (*target == kiln::fuzz::Target::TfjsJson)
    mutated = kiln::fuzz::mutateModelJson(data, size, maxSize, seed, tfjsWords);
  return mutated ? mutated : LLVMFuzzerMutate(data, size, maxSize);
}
