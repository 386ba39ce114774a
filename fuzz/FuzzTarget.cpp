//===- FuzzTarget.cpp - one libFuzzer target per untrusted input ----------===//
//
// Linked five times (fuzz/CMakeLists.txt), once per input Kiln reads from
// users; the executable's name, kiln-fuzz-<target>, says which
// (fuzz/FuzzInputs.h and fuzz/TuningDbInput.h say what its bytes mean). One
// object for all five keeps the fuzz build short. kiln-fuzz-tuning-db with
// KILN_FUZZ_WRITE_SEEDS=DIR in its environment writes its seeds to DIR and
// exits (fuzz/make_corpus.py). An input whose outcome breaks the importers'
// promise aborts, so that libFuzzer keeps it as a crash, like a sanitizer
// report. The onnx and tfjs-json targets mutate structure half the time
// (fuzz/Mutators.h).
//
//===----------------------------------------------------------------------===//
#include "fuzz/FuzzInputs.h"
#include "fuzz/Mutators.h"
#include "fuzz/TuningDbInput.h"

#include <cstdio>
#include <cstdlib>

namespace {
std::optional<kiln::fuzz::Target> target;
std::string targetName;
// The tuning-db target: its fixed module, made once.
std::unique_ptr<kiln::fuzz::TuningDbHarness> tuningDb;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  llvm::StringRef name = llvm::sys::path::filename((*argv)[0]);
  if (name.consume_front("kiln-fuzz-"))
    target = kiln::fuzz::parseTarget(name);
  targetName = name.str();
  if (name == "tuning-db") {
    tuningDb = std::make_unique<kiln::fuzz::TuningDbHarness>();
    if (const char *dir = std::getenv("KILN_FUZZ_WRITE_SEEDS")) {
      std::printf("kiln-fuzz-tuning-db: %d seeds in %s\n", tuningDb->writeSeeds(dir), dir);
      std::exit(0);
    }
    return 0;
  }
  if (!target) {
    std::fprintf(stderr, "kiln-fuzz: run me as "
                         "kiln-fuzz-<onnx|onnx-text|tfjs-json|tfjs-weights|tuning-db>\n");
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static kiln::fuzz::Scratch scratch;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // A fresh context now and then: each new schedule text parsed stays
  // uniqued in the tuning-db harness's context for its life.
  static unsigned runs = 0;
  if (tuningDb && ++runs % 1000 == 0)
    tuningDb = std::make_unique<kiln::fuzz::TuningDbHarness>();
  std::string problem =
      tuningDb ? tuningDb->run(scratch, bytes) : kiln::fuzz::runInput(*target, scratch, bytes);
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
  // tuning-db (no target): libFuzzer's byte mutations and its dictionary.
  if (target == kiln::fuzz::Target::Onnx)
    mutated = kiln::fuzz::mutateOnnx(data, size, maxSize, seed, onnxWords);
  else if (target == kiln::fuzz::Target::TfjsJson)
    mutated = kiln::fuzz::mutateModelJson(data, size, maxSize, seed, tfjsWords);
  return mutated ? mutated : LLVMFuzzerMutate(data, size, maxSize);
}
