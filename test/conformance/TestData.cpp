//===- TestData.cpp - ONNX backend node tests as data ---------------------===//
#include "test/conformance/TestData.h"

#include "compiler/support/Error.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace kiln::conformance {

using jit::HostTensor;
using kiln::DType;

std::vector<std::string> findTests(llvm::StringRef root) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(root, ec), end; it != end && !ec; it.increment(ec)) {
    std::string dir = it->path();
    if (llvm::sys::fs::exists(dir + "/model.onnx") &&
        llvm::sys::fs::is_directory(dir + "/test_data_set_0"))
      dirs.push_back(dir);
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

template <typename Proto> static llvm::Error parseFile(const std::string &path, Proto &proto) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return makeError(path + ": " + buffer.getError().message());
  if (!proto.ParseFromArray((*buffer)->getBufferStart(), (*buffer)->getBufferSize()))
    return makeError(path + ": not a valid protobuf");
  return llvm::Error::success();
}

// Whether a node of `graph` or of its subgraphs reads `name`'s values
// (CastLike's second operand gives only its element type).
static bool readsValue(const onnx::GraphProto &graph, const std::string &name) {
  for (const auto &node : graph.node()) {
    for (int i = 0; i < node.input_size(); ++i)
      if (node.input(i) == name && !(node.op_type() == "CastLike" && i == 1))
        return true;
    for (const auto &attr : node.attribute()) {
      if (attr.has_g() && readsValue(attr.g(), name))
        return true;
      for (const auto &sub : attr.graphs())
        if (readsValue(sub, name))
          return true;
    }
  }
  return false;
}

llvm::Expected<NodeTest> describeTest(const std::string &dir) {
  onnx::ModelProto model;
  if (auto err = parseFile(dir + "/model.onnx", model))
    return std::move(err);
  NodeTest test;
  test.dir = dir;
  test.name = llvm::sys::path::filename(dir).str();
  const onnx::GraphProto &graph = model.graph();
  test.op = graph.node_size() == 1 ? graph.node(0).op_type() : "(multi-node)";
  std::set<std::string> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());
  for (const auto &input : graph.input())
    if (!initializers.count(input.name())) {
      test.inputNames.push_back(input.name());
      test.inputTypes.push_back(input.type().tensor_type().elem_type());
      if (!input.type().has_tensor_type())
        test.nonTensor = "input '" + input.name() + "' is not a tensor";
    }
  for (const auto &node : graph.node()) {
    bool resize = node.op_type() == "Resize", upsample = node.op_type() == "Upsample";
    if (!resize && !upsample)
      continue;
    for (int i = 1; i < node.input_size(); ++i)
      if (std::find(test.inputNames.begin(), test.inputNames.end(), node.input(i)) !=
          test.inputNames.end())
        test.shapeOperands.push_back(node.input(i));
  }
  for (const auto &input : graph.input()) {
    if (initializers.count(input.name()) || !input.type().has_tensor_type() ||
        !input.type().tensor_type().has_shape())
      continue;
    if (readsValue(graph, input.name()))
      continue;
    std::vector<int64_t> shape;
    for (const auto &dim : input.type().tensor_type().shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    if (std::find(shape.begin(), shape.end(), -1) == shape.end())
      test.valueFreeInputs.emplace_back(input.name(), shape);
  }
  for (const auto &output : graph.output()) {
    test.outputNames.push_back(output.name());
    test.outputTypes.push_back(output.type().tensor_type().elem_type());
    if (!output.type().has_tensor_type())
      test.nonTensor = "output '" + output.name() + "' is not a tensor";
  }
  return test;
}

static llvm::Expected<DType> dtypeOfProto(int type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return DType::F32;
  case onnx::TensorProto::FLOAT16:
    return DType::F16;
  case onnx::TensorProto::DOUBLE:
    return DType::F64;
  case onnx::TensorProto::INT8:
    return DType::I8;
  case onnx::TensorProto::INT16:
    return DType::I16;
  case onnx::TensorProto::INT32:
    return DType::I32;
  case onnx::TensorProto::INT64:
    return DType::I64;
  case onnx::TensorProto::UINT8:
    return DType::U8;
  case onnx::TensorProto::UINT16:
    return DType::U16;
  case onnx::TensorProto::UINT32:
    return DType::U32;
  case onnx::TensorProto::UINT64:
    return DType::U64;
  case onnx::TensorProto::BOOL:
    return DType::Bool;
  case onnx::TensorProto::BFLOAT16:
    return DType::BF16;
  }
  return makeError("tensor element type " + llvm::Twine(type) + " is not supported");
}

/// Copies typed repeated fields into little-endian storage of `bytes` each.
template <typename Field>
static void packField(const Field &field, size_t bytes, jit::AlignedBytes &out) {
  out.resize(field.size() * bytes);
  for (int i = 0; i < field.size(); ++i) {
    auto value = field.Get(i);
    if (bytes == sizeof(value)) {
      std::memcpy(out.data() + i * bytes, &value, bytes);
    } else { // narrower types travel widened in int32_data
      uint64_t v = static_cast<uint64_t>(value);
      std::memcpy(out.data() + i * bytes, &v, bytes);
    }
  }
}

static llvm::Expected<HostTensor> toHostTensor(const onnx::TensorProto &proto,
                                               const std::string &name) {
  auto dtype = dtypeOfProto(proto.data_type());
  if (!dtype)
    return dtype.takeError();
  HostTensor t;
  t.name = name;
  t.dtype = *dtype;
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  size_t bytes = kiln::dtypeBytes(*dtype);
  if (proto.has_raw_data()) {
    t.data.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else {
    switch (*dtype) {
    case DType::F32:
      packField(proto.float_data(), bytes, t.data);
      break;
    case DType::F64:
      packField(proto.double_data(), bytes, t.data);
      break;
    case DType::I64:
      packField(proto.int64_data(), bytes, t.data);
      break;
    case DType::U32:
    case DType::U64:
      packField(proto.uint64_data(), bytes, t.data);
      break;
    default: // int8/16/32, uint8/16, bool, float16 bits: int32_data
      packField(proto.int32_data(), bytes, t.data);
      break;
    }
  }
  if (t.data.size() != t.byteSize())
    return makeError("tensor '" + name + "' holds " + llvm::Twine(t.data.size()) +
                     " bytes, expected " + llvm::Twine(t.byteSize()));
  return t;
}

static llvm::Error readTensors(const std::string &dir, const char *prefix,
                               const std::vector<std::string> &names, const std::vector<int> &types,
                               std::vector<HostTensor> &out) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::string path = dir + "/test_data_set_0/" + prefix + std::to_string(i) + ".pb";
    if (!llvm::sys::fs::exists(path))
      return makeError("non-tensor data: missing " + path);
    onnx::TensorProto proto;
    if (auto err = parseFile(path, proto))
      return makeError("non-tensor data: " + llvm::toString(std::move(err)));
    // A sequence or optional also parses as a (mostly empty) TensorProto:
    // a tensor with no type is not a tensor.
    if (proto.data_type() == onnx::TensorProto::UNDEFINED)
      return makeError("non-tensor data in " + path);
    if (proto.data_type() == onnx::TensorProto::UINT16 && i < types.size() &&
        types[i] == onnx::TensorProto::BFLOAT16)
      proto.set_data_type(onnx::TensorProto::BFLOAT16);
    auto tensor = toHostTensor(proto, names[i]);
    if (!tensor)
      return tensor.takeError();
    out.push_back(std::move(*tensor));
  }
  return llvm::Error::success();
}

llvm::Error readDataSet(const NodeTest &test, std::vector<HostTensor> &inputs,
                        std::vector<HostTensor> &outputs) {
  if (!test.nonTensor.empty())
    return makeError("non-tensor data: " + test.nonTensor);
  if (auto err = readTensors(test.dir, "input_", test.inputNames, test.inputTypes, inputs))
    return err;
  return readTensors(test.dir, "output_", test.outputNames, test.outputTypes, outputs);
}

static int protoTypeOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return onnx::TensorProto::FLOAT;
  case DType::F16:
    return onnx::TensorProto::FLOAT16;
  case DType::F64:
    return onnx::TensorProto::DOUBLE;
  case DType::I8:
    return onnx::TensorProto::INT8;
  case DType::I16:
    return onnx::TensorProto::INT16;
  case DType::I32:
    return onnx::TensorProto::INT32;
  case DType::I64:
    return onnx::TensorProto::INT64;
  case DType::U8:
    return onnx::TensorProto::UINT8;
  case DType::U16:
    return onnx::TensorProto::UINT16;
  case DType::U32:
    return onnx::TensorProto::UINT32;
  case DType::U64:
    return onnx::TensorProto::UINT64;
  case DType::Bool:
    return onnx::TensorProto::BOOL;
  case DType::BF16:
    return onnx::TensorProto::BFLOAT16;
  }
  return onnx::TensorProto::UNDEFINED;
}

llvm::Error writeWithConstantInputs(const NodeTest &test, const std::vector<HostTensor> &inputs,
                                    const std::vector<std::string> &names,
                                    const std::string &path) {
  onnx::ModelProto model;
  if (auto err = parseFile(test.dir + "/model.onnx", model))
    return err;
  onnx::GraphProto *graph = model.mutable_graph();
  for (const HostTensor &t : inputs) {
    if (std::find(names.begin(), names.end(), t.name) == names.end())
      continue;
    onnx::TensorProto *init = graph->add_initializer();
    init->set_name(t.name);
    init->set_data_type(protoTypeOf(t.dtype));
    for (int64_t d : t.shape)
      init->add_dims(d);
    init->set_raw_data(t.data.data(), t.data.size());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return makeError("cannot serialise the model with constant inputs");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError("cannot write " + path + ": " + ec.message());
  os << bytes;
  return llvm::Error::success();
}

static double elementAsDouble(const HostTensor &t, int64_t i) {
  switch (t.dtype) {
  case DType::F32:
    return t.as<float>()[i];
  case DType::F64:
    return t.as<double>()[i];
  case DType::BF16: {
    uint32_t bits = uint32_t(t.as<uint16_t>()[i]) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case DType::F16: {
    uint16_t h = t.as<uint16_t>()[i];
    int exp = (h >> 10) & 31, mant = h & 1023;
    double sign = (h & 0x8000) ? -1 : 1;
    if (exp == 0)
      return sign * std::ldexp(mant, -24);
    if (exp == 31)
      return mant ? NAN : sign * INFINITY;
    return sign * std::ldexp(mant + 1024, exp - 25);
  }
  case DType::I8:
    return t.as<int8_t>()[i];
  case DType::I16:
    return t.as<int16_t>()[i];
  case DType::I32:
    return t.as<int32_t>()[i];
  case DType::I64:
    return double(t.as<int64_t>()[i]);
  case DType::U8:
  case DType::Bool:
    return t.as<uint8_t>()[i];
  case DType::U16:
    return t.as<uint16_t>()[i];
  case DType::U32:
    return t.as<uint32_t>()[i];
  case DType::U64:
    return double(t.as<uint64_t>()[i]);
  }
  return 0;
}

std::optional<std::string> compareTensors(const HostTensor &expected, const HostTensor &actual,
                                          double rtol, double atol) {
  if (expected.dtype != actual.dtype)
    return "dtype " + kiln::dtypeName(actual.dtype).str() + ", expected " +
           kiln::dtypeName(expected.dtype).str();
  if (expected.numElements() != actual.numElements() ||
      (expected.shape != actual.shape && !expected.shape.empty()))
    return "shape " + jit::shapeString(actual.shape) + ", expected " +
           jit::shapeString(expected.shape);
  bool isFloat =
      expected.dtype == DType::F32 || expected.dtype == DType::F64 || expected.dtype == DType::F16;
  for (int64_t i = 0; i < expected.numElements(); ++i) {
    double e = elementAsDouble(expected, i), a = elementAsDouble(actual, i);
    bool ok = isFloat ? ((std::isnan(e) && std::isnan(a)) || e == a ||
                         std::fabs(a - e) <= atol + rtol * std::fabs(e))
                      : e == a;
    if (!ok) {
      char text[160];
      snprintf(text, sizeof text, "output '%s' element %lld: got %.9g, expected %.9g",
               expected.name.c_str(), (long long)i, a, e);
      return std::string(text);
    }
  }
  return std::nullopt;
}

} // namespace kiln::conformance
