//===- ModelChecks.cpp - what Kiln checks before converting a model -------===//
#include "compiler/import/onnx/ModelChecks.h"

#include "compiler/import/onnx/Literal.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/support/Error.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringSet.h"

namespace kiln::onnx_import {

static bool isDefaultDomain(llvm::StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

static std::string nodeName(const onnx::NodeProto &node) {
  if (!node.name().empty())
    return node.name();
  return node.output_size() ? node.output(0) : std::string("<unnamed>");
}

static std::string joinList(llvm::ArrayRef<std::string> items) {
  std::string out;
  for (const std::string &item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

llvm::Error checkOpsets(const onnx::ModelProto &model, int64_t maxOpset) {
  int64_t opset = -1;
  for (const auto &entry : model.opset_import())
    if (isDefaultDomain(entry.domain()))
      opset = entry.version();
  if (opset < 0)
    return makeError("the model imports no opset of the default ONNX domain");
  if (opset > maxOpset)
    return makeError("the model uses opset " + llvm::Twine(opset) +
                     " of the default ONNX domain, newer than the newest Kiln supports (" +
                     llvm::Twine(maxOpset) + ")");
  return llvm::Error::success();
}

void supplyDefaultOpset(onnx::ModelProto &model, int64_t opset) {
  for (const auto &entry : model.opset_import())
    if (isDefaultDomain(entry.domain()))
      return;
  for (const auto &node : model.graph().node())
    if (isDefaultDomain(node.domain()))
      return; // checkOpsets names the missing opset
  auto *entry = model.add_opset_import();
  entry->set_domain("");
  entry->set_version(opset);
}

llvm::Error checkOps(const onnx::ModelProto &model) {
  std::vector<std::string> foreign, unsupported;
  for (const auto &node : model.graph().node()) {
    const OpTable *table = opTableForDomain(node.domain());
    if (!table)
      foreign.push_back("node '" + nodeName(node) + "' (op " + node.op_type() + " in domain '" +
                        node.domain() + "')");
    else if (!table->lookup(node.op_type()))
      unsupported.push_back(
          "node '" + nodeName(node) + "' (op " + node.op_type() +
          (isDefaultDomain(node.domain()) ? "" : " in domain '" + node.domain() + "'") + ")");
  }
  if (!foreign.empty())
    return makeError("unknown op domain (Kiln imports the default ONNX domain and "
                     "ai.onnx.preview.training): " +
                     joinList(foreign));
  if (!unsupported.empty())
    return makeError("unsupported ops: " + joinList(unsupported));
  return llvm::Error::success();
}

llvm::Error checkAttributeValues(const onnx::ModelProto &model) {
  static const struct {
    llvm::StringLiteral ops, attribute;
  } kPositive[] = {
      {"Conv ConvTranspose MaxPool AveragePool", "strides"},
      {"Conv ConvTranspose MaxPool AveragePool", "dilations"},
      {"Conv ConvTranspose MaxPool AveragePool", "kernel_shape"},
      {"DepthToSpace SpaceToDepth", "blocksize"},
  };
  for (const auto &node : model.graph().node()) {
    for (const auto &rule : kPositive) {
      llvm::SmallVector<llvm::StringRef> ops;
      rule.ops.split(ops, ' ');
      if (!llvm::is_contained(ops, node.op_type()))
        continue;
      for (const auto &attr : node.attribute()) {
        if (attr.name() != rule.attribute)
          continue;
        bool positive = attr.i() > 0 || attr.ints_size() > 0;
        for (int64_t v : attr.ints())
          positive &= v > 0;
        if (!positive)
          return makeError("node '" + nodeName(node) + "' (op " + node.op_type() +
                           "): " + rule.attribute + " must be positive");
      }
    }
  }
  return llvm::Error::success();
}

// libonnx's ParseData copies all of a tensor's raw bytes into a vector of
// size / element-size elements: a tail that is not a whole element wrote past
// the vector (ASan, found by the onnx fuzz target) during shape inference,
// before Kiln's own check of the data against the shape (Literal.cpp).
static llvm::Error checkRawTensor(const onnx::TensorProto &tensor) {
  if (!tensor.has_raw_data() || tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return llvm::Error::success();
  size_t esize = dtypeSize(tensor.data_type());
  if (esize == 0 || tensor.raw_data().size() % esize == 0)
    return llvm::Error::success(); // an unsupported type is refused where it is used
  return makeError("tensor '" + tensor.name() + "' has " +
                   llvm::Twine(static_cast<uint64_t>(tensor.raw_data().size())) +
                   " bytes of raw data, not a whole number of " + dtypeName(tensor.data_type()) +
                   " values (" + llvm::Twine(static_cast<uint64_t>(esize)) + " bytes each)");
}

static llvm::Error checkRawData(const onnx::GraphProto &graph) {
  for (const auto &tensor : graph.initializer())
    if (llvm::Error err = checkRawTensor(tensor))
      return err;
  for (const auto &sparse : graph.sparse_initializer())
    for (const auto *tensor : {&sparse.values(), &sparse.indices()})
      if (llvm::Error err = checkRawTensor(*tensor))
        return err;
  for (const auto &node : graph.node())
    for (const auto &attr : node.attribute()) {
      if (attr.has_t())
        if (llvm::Error err = checkRawTensor(attr.t()))
          return err;
      for (const auto &tensor : attr.tensors())
        if (llvm::Error err = checkRawTensor(tensor))
          return err;
      if (attr.has_g())
        if (llvm::Error err = checkRawData(attr.g()))
          return err;
      for (const auto &sub : attr.graphs())
        if (llvm::Error err = checkRawData(sub))
          return err;
    }
  return llvm::Error::success();
}

llvm::Error checkRawData(const onnx::ModelProto &model) { return checkRawData(model.graph()); }

llvm::Error checkNamesDefined(const onnx::ModelProto &model) {
  const auto &graph = model.graph();
  llvm::StringSet<> defined;
  for (const auto &input : graph.input())
    defined.insert(input.name());
  for (const auto &init : graph.initializer())
    defined.insert(init.name());
  std::vector<std::string> missing;
  for (const auto &node : graph.node()) {
    for (const auto &input : node.input())
      if (!input.empty() && !defined.contains(input))
        missing.push_back("node '" + nodeName(node) + "' (op " + node.op_type() + ") reads '" +
                          input + "'");
    for (const auto &output : node.output())
      defined.insert(output);
  }
  for (const auto &output : graph.output())
    if (!defined.contains(output.name()))
      missing.push_back("graph output '" + output.name() + "'");
  if (!missing.empty())
    return makeError("undefined values (no graph input, initializer or earlier node "
                     "defines them; a missing initializer?): " +
                     joinList(missing));
  return llvm::Error::success();
}

// "1x?x224x224": the --input-shape spelling of a shape, '?' where dynamic.
static std::string shapeTemplate(const onnx::TensorShapeProto &shape) {
  std::string out;
  for (const auto &dim : shape.dim())
    out += (out.empty() ? "" : "x") +
           (dim.has_dim_value() ? std::to_string(dim.dim_value()) : std::string("?"));
  return out;
}

llvm::Error pinInputShapes(onnx::ModelProto &model, const OnnxImportOptions &options) {
  auto &graph = *model.mutable_graph();
  llvm::StringSet<> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());

  std::vector<std::string> inputNames;
  llvm::StringMap<onnx::ValueInfoProto *> inputs;
  for (auto &input : *graph.mutable_input()) {
    if (initializers.contains(input.name()))
      continue;
    inputNames.push_back("'" + input.name() + "'");
    inputs[input.name()] = &input;
  }

  for (const auto &[name, dims] : options.inputShapes) {
    std::string flag = "--input-shape " + name + "=";
    for (size_t i = 0; i < dims.size(); ++i)
      flag += (i ? "x" : "") + std::to_string(dims[i]);
    auto it = inputs.find(name);
    if (it == inputs.end())
      return makeError(flag + ": the model has no input '" + name +
                       "' (its inputs: " + joinList(inputNames) + ")");
    auto *tensorType = it->second->mutable_type()->mutable_tensor_type();
    auto *shape = tensorType->mutable_shape();
    if (shape->dim_size() != 0 && shape->dim_size() != static_cast<int>(dims.size()))
      return makeError(flag + ": input '" + name + "' has rank " + llvm::Twine(shape->dim_size()) +
                       " in the model, not " + llvm::Twine(dims.size()));
    if (shape->dim_size() == 0)
      for (size_t i = 0; i < dims.size(); ++i)
        shape->add_dim();
    for (size_t i = 0; i < dims.size(); ++i) {
      auto *dim = shape->mutable_dim(i);
      if (dim->has_dim_value() && dim->dim_value() != dims[i])
        return makeError(flag + ": dimension " + llvm::Twine(i) + " of input '" + name + "' is " +
                         llvm::Twine(dim->dim_value()) + " in the model");
      dim->set_dim_value(dims[i]);
    }
  }

  std::vector<std::string> dynamic, hints;
  for (const auto &input : graph.input()) {
    if (initializers.contains(input.name()))
      continue;
    if (!input.type().has_tensor_type())
      return makeError("input '" + input.name() + "' is not a tensor; Kiln imports tensors only");
    const auto &tensorType = input.type().tensor_type();
    if (!tensorType.has_shape()) {
      dynamic.push_back("input '" + input.name() + "' has no shape");
      hints.push_back("--input-shape " + input.name() + "=...");
      continue;
    }
    bool any = false;
    for (int d = 0; d < tensorType.shape().dim_size(); ++d) {
      const auto &dim = tensorType.shape().dim(d);
      // 0 is a size: an empty input (GraphImporter reads it as an empty literal).
      if (dim.has_dim_value() && dim.dim_value() >= 0)
        continue;
      any = true;
      std::string what = "input '" + input.name() + "' dimension " + std::to_string(d);
      if (dim.has_dim_param() && !dim.dim_param().empty())
        what += " ('" + dim.dim_param() + "')";
      dynamic.push_back(what + " is dynamic");
    }
    if (any)
      hints.push_back("--input-shape " + input.name() + "=" + shapeTemplate(tensorType.shape()));
  }
  if (!dynamic.empty())
    return makeError(joinList(dynamic) + "; pin " + (dynamic.size() > 1 ? "them" : "it") +
                     " with " + joinList(hints) + " (each ? a size)");
  return llvm::Error::success();
}

} // namespace kiln::onnx_import
