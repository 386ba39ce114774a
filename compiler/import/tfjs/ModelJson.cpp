//===- ModelJson.cpp - a TF.js graph model's model.json, parsed -----------===//
#include "compiler/import/tfjs/ModelJson.h"

#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/support/Error.h"
#include "nlohmann/json.hpp"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace kiln::tfjs_import {

using Json = nlohmann::ordered_json;

std::string canonicalTensorName(llvm::StringRef name) {
  auto [node, index] = name.rsplit(':');
  if (!index.empty() && llvm::all_of(index, llvm::isDigit))
    return name.str();
  return name.str() + ":0";
}

static llvm::Error readSignature(const Json &entries, std::vector<SignatureEntry> &out,
                                 llvm::StringRef which) {
  if (!entries.is_object())
    return makeError("signature." + which + " is not an object");
  for (const auto &[key, entry] : entries.items()) {
    std::string what = "signature." + which.str() + " '" + key + "'";
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string())
      return makeError(what + " has no tensor name");
    SignatureEntry e;
    e.key = key;
    e.name = canonicalTensorName(entry["name"].get<std::string>());
    if (entry.contains("dtype") && entry["dtype"].is_string())
      e.dtype = entry["dtype"].get<std::string>();
    if (entry.contains("tensorShape")) {
      auto shape = jsonShape(entry["tensorShape"], what);
      if (!shape)
        return shape.takeError();
      e.shape = std::move(*shape);
    }
    out.push_back(std::move(e));
  }
  return llvm::Error::success();
}

static llvm::Error readNodes(const Json &topology, TfjsModel &model) {
  if (!topology.is_object())
    return makeError("modelTopology is not an object");
  auto nodes = topology.find("node");
  if (nodes == topology.end() || !nodes->is_array())
    return makeError("modelTopology has no node list (a TensorFlow GraphDef is expected)");
  for (size_t i = 0; i < nodes->size(); ++i) {
    const Json &n = (*nodes)[i];
    if (!n.is_object() || !n.contains("name") || !n["name"].is_string() || !n.contains("op") ||
        !n["op"].is_string())
      return makeError("modelTopology.node[" + llvm::Twine(i) + "] has no name or op");
    TfNode node;
    node.name = n["name"].get<std::string>();
    node.op = n["op"].get<std::string>();
    std::string what = "node '" + node.name + "' (op " + node.op + ")";
    if (auto in = n.find("input"); in != n.end()) {
      if (!in->is_array())
        return makeError(what + ": input is not a list");
      for (const Json &input : *in) {
        if (!input.is_string())
          return makeError(what + ": an input is not a string");
        llvm::StringRef name = input.get_ref<const std::string &>();
        if (!name.starts_with("^"))
          node.inputs.push_back(canonicalTensorName(name));
      }
    }
    if (auto attr = n.find("attr"); attr != n.end()) {
      if (!attr->is_object())
        return makeError(what + ": attr is not an object");
      node.attr = &*attr;
    }
    model.nodes.push_back(std::move(node));
  }
  return llvm::Error::success();
}

static llvm::Error readWeightSpec(const Json &w, WeightSpec &spec) {
  if (!w.is_object() || !w.contains("name") || !w["name"].is_string())
    return makeError("weightsManifest: a weight has no name");
  spec.name = w["name"].get<std::string>();
  std::string what = "weight '" + spec.name + "'";
  if (!w.contains("dtype") || !w["dtype"].is_string())
    return makeError(what + " has no dtype");
  spec.dtype = w["dtype"].get<std::string>();
  if (!w.contains("shape") || !w["shape"].is_array())
    return makeError(what + " has no shape");
  for (const Json &d : w["shape"]) {
    std::optional<int64_t> size = jsonInt(d);
    if (!size || *size < 0)
      return makeError(what + " has a bad shape " + w["shape"].dump());
    spec.shape.push_back(*size);
  }
  if (auto q = w.find("quantization"); q != w.end()) {
    if (!q->is_object() || !q->contains("dtype") || !(*q)["dtype"].is_string())
      return makeError(what + ": quantization has no dtype");
    WeightQuantization quant;
    quant.dtype = (*q)["dtype"].get<std::string>();
    if (q->contains("scale") && (*q)["scale"].is_number())
      quant.scale = (*q)["scale"].get<double>();
    if (q->contains("min") && (*q)["min"].is_number())
      quant.min = (*q)["min"].get<double>();
    spec.quantization = std::move(quant);
  }
  return llvm::Error::success();
}

static llvm::Error readManifest(const Json &manifest, TfjsModel &model) {
  if (!manifest.is_array())
    return makeError("weightsManifest is not a list");
  for (size_t g = 0; g < manifest.size(); ++g) {
    const Json &group = manifest[g];
    std::string what = "weightsManifest[" + std::to_string(g) + "]";
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() ||
        !group.contains("weights") || !group["weights"].is_array())
      return makeError(what + " needs 'paths' and 'weights' lists");
    WeightGroup wg;
    for (const Json &p : group["paths"]) {
      if (!p.is_string())
        return makeError(what + ": a path is not a string");
      // Shards sit beside model.json: a path that leaves its folder
      // ('../../etc/passwd', '/etc/passwd') is refused, never opened.
      std::string path = p.get<std::string>();
      bool escapes =
          path.empty() || path[0] == '/' || path[0] == '\\' || llvm::sys::path::is_absolute(path) ||
          llvm::any_of(llvm::make_range(llvm::sys::path::begin(path), llvm::sys::path::end(path)),
                       [](llvm::StringRef part) { return part == ".."; });
      if (escapes)
        return makeError(what + ": shard path '" + path +
                         "' is not a relative path inside the model's folder");
      wg.paths.push_back(std::move(path));
    }
    for (const Json &w : group["weights"]) {
      WeightSpec spec;
      if (llvm::Error err = readWeightSpec(w, spec))
        return err;
      wg.weights.push_back(std::move(spec));
    }
    model.weightGroups.push_back(std::move(wg));
  }
  return llvm::Error::success();
}

llvm::Expected<TfjsModel> parseModelJsonText(llvm::StringRef text, llvm::StringRef directory) {
  auto root = std::make_shared<Json>();
  try {
    *root = Json::parse(text.begin(), text.end());
  } catch (const Json::exception &e) {
    // Not only parse_error: a number beyond double's range ("1e+350") throws
    // out_of_range.406 from the parser (found by the tfjs-json fuzzer).
    // what() is "[json.exception.parse_error.101] parse error at line L,
    // column C: ..."; the bracketed id means nothing to a user.
    llvm::StringRef message = e.what();
    if (message.starts_with("[json.exception."))
      message = message.split("] ").second;
    return makeError("bad JSON: " + message);
  }
  const Json &j = *root;
  if (!j.is_object())
    return makeError("not a TF.js model: the top level is not a JSON object");
  if (j.contains("format") && j["format"] != "graph-model")
    return makeError("format is " + j["format"].dump() +
                     "; Kiln imports TF.js graph models (\"graph-model\") only");
  if (!j.contains("modelTopology"))
    return makeError("not a TF.js graph model: no modelTopology");

  TfjsModel model;
  model.root = root;
  model.directory = directory.str();
  if (llvm::Error err = readNodes(j["modelTopology"], model))
    return std::move(err);

  // TF.js lets userDefinedMetadata.signature override signature.
  const Json *signature = nullptr;
  if (j.contains("signature"))
    signature = &j["signature"];
  if (j.contains("userDefinedMetadata") && j["userDefinedMetadata"].is_object() &&
      j["userDefinedMetadata"].contains("signature"))
    signature = &j["userDefinedMetadata"]["signature"];
  if (signature && !signature->is_null()) {
    if (!signature->is_object())
      return makeError("signature is not an object");
    if (signature->contains("inputs"))
      if (llvm::Error err = readSignature((*signature)["inputs"], model.signatureInputs, "inputs"))
        return std::move(err);
    if (signature->contains("outputs"))
      if (llvm::Error err =
              readSignature((*signature)["outputs"], model.signatureOutputs, "outputs"))
        return std::move(err);
  }

  if (j.contains("weightsManifest"))
    if (llvm::Error err = readManifest(j["weightsManifest"], model))
      return std::move(err);
  return std::move(model);
}

llvm::Expected<TfjsModel> parseModelJson(llvm::StringRef path) {
  // model.json holds the graph (weights are in shards): a few MB at most. A
  // huge one is refused by its size, before anything reads it.
  constexpr uint64_t kMaxBytes = uint64_t(256) << 20;
  uint64_t size = 0;
  if (!llvm::sys::fs::file_size(path, size) && size > kMaxBytes)
    return makeError("the file is " + llvm::Twine(size) + " bytes, more than the " +
                     llvm::Twine(kMaxBytes) +
                     " Kiln reads as a model.json (it holds the graph; weights belong in shards)");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return makeError("cannot read: " + buffer.getError().message());
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  return parseModelJsonText((*buffer)->getBuffer(), dir.empty() ? "." : dir);
}

} // namespace kiln::tfjs_import
