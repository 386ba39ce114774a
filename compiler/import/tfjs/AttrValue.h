//===- AttrValue.h - TF AttrValues in protobuf's JSON mapping -----*- C++ -*-===//
//
// A node's `attr` maps names to AttrValue messages as protobuf writes them in
// JSON: {"i": "2"} (int64 as a string), {"f": 0.5}, {"b": true}, {"s":
// "U0FNRQ=="} (bytes in base64: "SAME"), {"type": "DT_FLOAT"}, {"shape":
// {"dim": [{"size": "-1"}]}}, {"list": {"i": ["1", "2", "2", "1"]}},
// {"tensor": {...}}. Protobuf omits fields at their default, so {} is a
// valid AttrValue: 0, false, "" or an empty list.
//
// AttrReader returns defaults for absent attributes and remembers the first
// malformed one, so that converters read attributes plainly and the importer
// still reports the real cause.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_ATTRVALUE_H
#define KILN_COMPILER_IMPORT_TFJS_ATTRVALUE_H

#include "compiler/import/tfjs/Literal.h"
#include "nlohmann/json_fwd.hpp"
#include "llvm/ADT/Twine.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln::tfjs_import {

/// An integer written as a JSON number or a decimal string.
std::optional<int64_t> jsonInt(const nlohmann::ordered_json &value);
/// A TensorShapeProto: dims (-1 where unknown), or std::nullopt when the
/// rank is unknown. `what` prefixes errors.
llvm::Expected<std::optional<std::vector<int64_t>>> jsonShape(const nlohmann::ordered_json &shape,
                                                              const llvm::Twine &what);

class AttrReader {
public:
  /// `attr` is a node's attr object, or null.
  explicit AttrReader(const nlohmann::ordered_json *attr) : attr_(attr) {}

  bool has(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue);
  float getFloat(llvm::StringRef name, float defaultValue);
  bool getBool(llvm::StringRef name, bool defaultValue);
  /// Decoded from base64.
  std::string getString(llvm::StringRef name, llvm::StringRef defaultValue);
  std::vector<int64_t> getInts(llvm::StringRef name);
  std::vector<std::string> getStrings(llvm::StringRef name);
  /// The "type" field, e.g. DT_FLOAT; std::nullopt if absent. A type Kiln
  /// does not carry is an error.
  std::optional<DType> getType(llvm::StringRef name);
  /// The "shape" field; std::nullopt if absent or of unknown rank.
  std::optional<std::vector<int64_t>> getShape(llvm::StringRef name);
  /// The Const node's value tensor: dtype and shape (values come from the
  /// weights manifest, as TF.js reads them).
  std::optional<std::pair<std::string, std::vector<int64_t>>> getTensorType(llvm::StringRef name);

  /// The first malformed attribute, or success.
  llvm::Error takeError();

private:
  const nlohmann::ordered_json *field(llvm::StringRef name, llvm::StringRef kind);
  void setError(const llvm::Twine &message);

  const nlohmann::ordered_json *attr_;
  std::string error_;
};

} // namespace kiln::tfjs_import

#endif
