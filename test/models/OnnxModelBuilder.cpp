//===- OnnxModelBuilder.cpp - Small helpers to write ONNX graphs ----------===//

#include "test/models/OnnxModelBuilder.h"

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cerrno>
#include <fstream>

#include <cassert>
#include <cstring>

namespace kiln::models {

uint64_t Rng::next() {
  state += 0x9e3779b97f4a7c15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

float Rng::uniform(float lo, float hi) {
  // 24 bits fit a float's mantissa exactly, so u is exact and in [0, 1).
  float u = static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * u;
}

static void setFloatTensorType(onnx::ValueInfoProto &info, const std::string &name,
                               const std::vector<int64_t> &dims) {
  info.set_name(name);
  onnx::TypeProto_Tensor *tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto *shape = tensor->mutable_shape();
  for (int64_t d : dims)
    shape->add_dim()->set_dim_value(d);
}

void addFloatInput(onnx::GraphProto &graph, const std::string &name,
                   const std::vector<int64_t> &dims) {
  setFloatTensorType(*graph.add_input(), name, dims);
}

void addFloatOutput(onnx::GraphProto &graph, const std::string &name,
                    const std::vector<int64_t> &dims) {
  setFloatTensorType(*graph.add_output(), name, dims);
}

std::string addFloatInitializer(onnx::GraphProto &graph, const std::string &name,
                                const std::vector<int64_t> &dims,
                                const std::vector<float> &values) {
  onnx::TensorProto *tensor = graph.add_initializer();
  tensor->set_name(name);
  tensor->set_data_type(onnx::TensorProto::FLOAT);
  int64_t count = 1;
  for (int64_t d : dims) {
    tensor->add_dims(d);
    count *= d;
  }
  assert(count == static_cast<int64_t>(values.size()) && "initializer size mismatch");
  (void)count;
  // ONNX raw_data is little-endian whatever the host: write bytes explicitly.
  std::string raw(values.size() * 4, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    for (int b = 0; b < 4; ++b)
      raw[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  tensor->set_raw_data(std::move(raw));
  return name;
}

onnx::NodeProto &addNode(onnx::GraphProto &graph, const std::string &opType,
                         const std::string &name, const std::vector<std::string> &inputs,
                         const std::vector<std::string> &outputs) {
  onnx::NodeProto &node = *graph.add_node();
  node.set_op_type(opType);
  node.set_name(name);
  for (const std::string &in : inputs)
    node.add_input(in);
  for (const std::string &out : outputs)
    node.add_output(out);
  return node;
}

void setIntAttr(onnx::NodeProto &node, const std::string &name, int64_t value) {
  onnx::AttributeProto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

void setIntsAttr(onnx::NodeProto &node, const std::string &name,
                 const std::vector<int64_t> &values) {
  onnx::AttributeProto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    attr->add_ints(v);
}

void setFloatAttr(onnx::NodeProto &node, const std::string &name, float value) {
  onnx::AttributeProto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::FLOAT);
  attr->set_f(value);
}

std::string writeCheckedModel(const onnx::ModelProto &model, const std::string &path) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::ShapeInferenceOptions strict{/*check_type=*/true, /*error_mode=*/1};
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception &e) {
    return std::string("generated model is invalid: ") + e.what();
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!model.SerializeToCodedStream(&coded))
      return "cannot serialise the model";
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return "cannot open '" + path + "' for writing: " + std::strerror(errno);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    return "cannot write '" + path + "': " + std::strerror(errno);
  return "";
}

} // namespace kiln::models
