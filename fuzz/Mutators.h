//===- Mutators.h - structure-aware mutation for ONNX and model.json -*- C++ -*-===//
//
// LLVMFuzzerCustomMutator's helpers (fuzz/FuzzTarget.cpp). Each returns the
// new size of `data`, or 0 when it left the input to libFuzzer's own byte
// mutations (half the time, and whenever the input does not parse).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FUZZ_MUTATORS_H
#define KILN_FUZZ_MUTATORS_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::fuzz {

/// One to three changes in a ModelProto's tree, through protobuf reflection.
size_t mutateOnnx(uint8_t *data, size_t size, size_t maxSize, unsigned seed,
                  const std::vector<std::string> &words);
/// One to three changes in a model.json's tree (the NUL and the int32 and
/// bool weights after it are kept).
size_t mutateModelJson(uint8_t *data, size_t size, size_t maxSize, unsigned seed,
                       const std::vector<std::string> &words);
/// The words of fuzz/dicts/<name>.dict, unquoted.
std::vector<std::string> dictionaryWords(const std::string &name);

} // namespace kiln::fuzz

#endif
