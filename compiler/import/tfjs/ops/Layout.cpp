//===- Layout.cpp - NCHW ops through their NHWC converters ----------------===//
#include "compiler/import/tfjs/ops/Layout.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "nlohmann/json.hpp"

using namespace mlir;

namespace kiln::tfjs_import {

llvm::Expected<bool> isNCHW(OpContext &node) {
  std::string format = node.attrs().getString("data_format", "NHWC");
  if (format == "NHWC")
    return false;
  if (format == "NCHW")
    return true;
  return node.fail("data_format " + format + " is not supported (NHWC or NCHW)");
}

namespace {

// NCHW -> NHWC, and back.
constexpr int64_t kToNHWC[] = {0, 2, 3, 1};
constexpr int64_t kToNCHW[] = {0, 3, 1, 2};

// Permutes a 4-entry list attribute (or the 8 entries of explicit_paddings,
// two per dimension) from NCHW to NHWC order; other sizes are left for the
// NHWC converter to refuse with its own message.
void permuteList(nlohmann::ordered_json &attr, const char *name, int perDim) {
  if (!attr.contains(name) || !attr[name].contains("list") || !attr[name]["list"].contains("i"))
    return;
  nlohmann::ordered_json &list = attr[name]["list"]["i"];
  if (list.size() != size_t(4 * perDim))
    return;
  nlohmann::ordered_json from = list;
  for (int d = 0; d < 4; ++d)
    for (int k = 0; k < perDim; ++k)
      list[d * perDim + k] = from[kToNHWC[d] * perDim + k];
}

} // namespace

llvm::Error convertThroughNHWC(OpContext &node,
                               llvm::function_ref<llvm::Error(OpContext &)> convert,
                               int numOutputs) {
  if (node.rank(0) != 4)
    return node.fail("an NCHW input must be 4-D, not " + shapeString(node.shape(0)));
  nlohmann::ordered_json attr = node.node().attr ? *node.node().attr : nlohmann::ordered_json{};
  if (!attr.is_object())
    attr = nlohmann::ordered_json::object();
  attr["data_format"] = {{"s", "TkhXQw=="}}; // "NHWC", base64 as in the JSON mapping
  for (const char *name : {"strides", "dilations", "ksize"})
    permuteList(attr, name, 1);
  permuteList(attr, "explicit_paddings", 2);

  GraphImporter &graph = node.graph();
  std::string base = node.node().name + "/nhwc";
  ValueEntry input;
  input.value = transpose(node.builder(), node.loc(), node.value(0), kToNHWC);
  graph.define(base + "/input:0", std::move(input));
  TfNode nhwc{base, node.node().op, node.node().inputs, &attr};
  nhwc.inputs[0] = base + "/input:0";
  OpContext ctx(graph, nhwc, node.loc());
  llvm::Error err = convert(ctx);
  if (llvm::Error attrErr = ctx.attrs().takeError()) {
    llvm::consumeError(std::move(err));
    return attrErr;
  }
  if (err)
    return err;
  for (int i = 0; i < numOutputs; ++i) {
    ValueEntry *out = graph.lookup(base + ":" + std::to_string(i));
    if (!out)
      continue;
    Value v = graph.materialize(*out, base + ":" + std::to_string(i));
    node.setValue(i, i == 0 ? transpose(node.builder(), node.loc(), v, kToNCHW) : v);
  }
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
