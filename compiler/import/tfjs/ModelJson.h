//===- ModelJson.h - a TF.js graph model's model.json, parsed -----*- C++ -*-===//
//
// model.json holds a TensorFlow GraphDef in protobuf's JSON mapping
// (`modelTopology.node`: name, op, input, attr), an optional `signature`
// naming the inputs and outputs, and a `weightsManifest` of shard files with
// the weights they hold, in order. This file checks that structure and keeps
// the JSON alive for the attribute readers (AttrValue.h); it reads no shards.
//
// Key order matters (signature outputs are the model's output order), so
// the JSON is read with nlohmann's ordered_json.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_MODELJSON_H
#define KILN_COMPILER_IMPORT_TFJS_MODELJSON_H

#include "nlohmann/json_fwd.hpp"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::tfjs_import {

/// One node of the GraphDef.
struct TfNode {
  std::string name;
  std::string op;
  /// Data inputs as "node:index" (control inputs, "^node", are dropped:
  /// order is already given by data dependencies in a graph without state).
  std::vector<std::string> inputs;
  /// The node's `attr` object, or null when it has none.
  const nlohmann::ordered_json *attr = nullptr;
};

/// An input or output named by the model's signature.
struct SignatureEntry {
  std::string key;  // what TF.js calls the tensor (model.inputNodes)
  std::string name; // the tensor: "node:index"
  std::string dtype;
  /// Dimensions (-1 where unknown); std::nullopt when the rank is unknown.
  std::optional<std::vector<int64_t>> shape;
};

struct WeightQuantization {
  std::string dtype; // "uint8", "uint16" or "float16"
  std::optional<double> scale, min;
};

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype; // "float32", "int32", "bool", "string", ...
  std::optional<WeightQuantization> quantization;
};

/// Weights of one group lie back to back across its shards, read in order
/// as if the shard files were one.
struct WeightGroup {
  std::vector<std::string> paths;
  std::vector<WeightSpec> weights;
};

struct TfjsModel {
  std::shared_ptr<const nlohmann::ordered_json> root;
  std::string directory; // shard paths are relative to it
  std::vector<TfNode> nodes;
  /// From `signature` (or `userDefinedMetadata.signature`, which TF.js
  /// prefers); empty when the model has none.
  std::vector<SignatureEntry> signatureInputs, signatureOutputs;
  std::vector<WeightGroup> weightGroups;
};

/// Reads and checks model.json. Errors are one line without the file name;
/// JSON syntax errors give the line and column.
llvm::Expected<TfjsModel> parseModelJson(llvm::StringRef path);
/// The same from text already in memory (`directory` resolves shards).
llvm::Expected<TfjsModel> parseModelJsonText(llvm::StringRef text, llvm::StringRef directory);

/// "node" -> "node:0"; "node:2" stays.
std::string canonicalTensorName(llvm::StringRef name);

} // namespace kiln::tfjs_import

#endif
