//===- OnnxModelBuilder.h - Small helpers to write ONNX graphs --*- C++ -*-===//
//
// Helpers for Kiln's model generators (test/models): a reproducible random
// number generator and thin wrappers over libonnx's protobuf classes that add
// inputs, outputs, initializers and nodes to a GraphProto.
//
// Why our own RNG: the std:: distributions are implementation-defined, so the
// same seed could give other weights with another standard library. SplitMix64
// plus an exact integer-to-float mapping gives the same bits everywhere.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_MODELS_ONNXMODELBUILDER_H
#define KILN_TEST_MODELS_ONNXMODELBUILDER_H

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::models {

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, well mixed, and fully
/// specified, which is all a weight generator needs.
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next();
  /// Uniform in [lo, hi), from the top 24 bits (exactly representable).
  float uniform(float lo, float hi);

private:
  uint64_t state;
};

/// Adds a graph input or output of a float tensor with a static shape.
void addFloatInput(onnx::GraphProto &graph, const std::string &name,
                   const std::vector<int64_t> &dims);
void addFloatOutput(onnx::GraphProto &graph, const std::string &name,
                    const std::vector<int64_t> &dims);

/// Adds a float initializer stored as little-endian raw_data (what PyTorch's
/// exporter writes, and the form importers must handle for large weights).
/// Returns the name, so calls can be used inline as node inputs.
std::string addFloatInitializer(onnx::GraphProto &graph, const std::string &name,
                                const std::vector<int64_t> &dims, const std::vector<float> &values);

/// Adds a node with the given inputs and outputs; attributes are set on the
/// returned node with the setters below.
onnx::NodeProto &addNode(onnx::GraphProto &graph, const std::string &opType,
                         const std::string &name, const std::vector<std::string> &inputs,
                         const std::vector<std::string> &outputs);
void setIntAttr(onnx::NodeProto &node, const std::string &name, int64_t value);
void setIntsAttr(onnx::NodeProto &node, const std::string &name,
                 const std::vector<int64_t> &values);
void setFloatAttr(onnx::NodeProto &node, const std::string &name, float value);

/// Checks `model` (the ONNX checker, then strict shape inference, which also
/// confirms the declared output shapes) and writes it to `path` with
/// deterministic serialisation, so the bytes are a function of the model.
/// Returns an empty string, or what went wrong.
std::string writeCheckedModel(const onnx::ModelProto &model, const std::string &path);

} // namespace kiln::models

#endif // KILN_TEST_MODELS_ONNXMODELBUILDER_H
