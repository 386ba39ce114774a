//===- AttrValue.cpp - TF AttrValues in protobuf's JSON mapping -----------===//
#include "compiler/import/tfjs/AttrValue.h"

#include "nlohmann/json.hpp"
#include "llvm/Support/Base64.h"

#include <cmath>
#include <limits>

namespace kiln::tfjs_import {

using Json = nlohmann::ordered_json;

std::optional<int64_t> jsonInt(const Json &v) {
  if (v.is_number_integer())
    return v.get<int64_t>();
  int64_t out;
  if (v.is_string() && !llvm::StringRef(v.get_ref<const std::string &>()).getAsInteger(10, out))
    return out;
  return std::nullopt;
}

// Protobuf writes non-finite floats as the strings "NaN", "Infinity" and
// "-Infinity".
static std::optional<double> jsonFloat(const Json &v) {
  if (v.is_number())
    return v.get<double>();
  if (!v.is_string())
    return std::nullopt;
  const std::string &s = v.get_ref<const std::string &>();
  if (s == "NaN")
    return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity")
    return std::numeric_limits<double>::infinity();
  if (s == "-Infinity")
    return -std::numeric_limits<double>::infinity();
  double out;
  if (!llvm::StringRef(s).getAsDouble(out))
    return out;
  return std::nullopt;
}

llvm::Expected<std::optional<std::vector<int64_t>>> jsonShape(const Json &shape,
                                                              const llvm::Twine &what) {
  auto fail = [&](const char *message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), what + ": " + message);
  };
  if (!shape.is_object())
    return fail("a tensor shape is not an object");
  if (auto it = shape.find("unknownRank"); it != shape.end() && it->is_boolean() && it->get<bool>())
    return std::optional<std::vector<int64_t>>();
  std::vector<int64_t> dims;
  if (auto it = shape.find("dim"); it != shape.end()) {
    if (!it->is_array())
      return fail("a tensor shape's dim is not a list");
    for (const Json &dim : *it) {
      // A dimension without "size" has size 0: protobuf omits defaults.
      std::optional<int64_t> size = 0;
      if (dim.is_object() && dim.contains("size"))
        size = jsonInt(dim["size"]);
      if (!dim.is_object() || !size)
        return fail("a tensor shape dimension is not {\"size\": N}");
      dims.push_back(*size);
    }
  }
  return std::optional<std::vector<int64_t>>(std::move(dims));
}

void AttrReader::setError(const llvm::Twine &message) {
  if (error_.empty())
    error_ = message.str();
}

llvm::Error AttrReader::takeError() {
  if (error_.empty())
    return llvm::Error::success();
  std::string message = std::move(error_);
  error_.clear();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool AttrReader::has(llvm::StringRef name) const { return attr_ && attr_->contains(name.str()); }

// The field `kind` ("i", "list", ...) of attribute `name`: null when the
// attribute is absent or the field is at its default (omitted).
const Json *AttrReader::field(llvm::StringRef name, llvm::StringRef kind) {
  if (!has(name))
    return nullptr;
  const Json &value = (*attr_)[name.str()];
  if (!value.is_object()) {
    setError("attribute '" + name + "' is not an AttrValue object");
    return nullptr;
  }
  auto it = value.find(kind.str());
  return it == value.end() ? nullptr : &*it;
}

int64_t AttrReader::getInt(llvm::StringRef name, int64_t defaultValue) {
  if (!has(name))
    return defaultValue;
  const Json *v = field(name, "i");
  if (!v)
    return 0;
  std::optional<int64_t> i = jsonInt(*v);
  if (!i)
    setError("attribute '" + name + "' is not an integer: " + v->dump());
  return i.value_or(defaultValue);
}

float AttrReader::getFloat(llvm::StringRef name, float defaultValue) {
  if (!has(name))
    return defaultValue;
  const Json *v = field(name, "f");
  if (!v)
    return 0;
  std::optional<double> f = jsonFloat(*v);
  if (!f)
    setError("attribute '" + name + "' is not a number: " + v->dump());
  return static_cast<float>(f.value_or(defaultValue));
}

bool AttrReader::getBool(llvm::StringRef name, bool defaultValue) {
  if (!has(name))
    return defaultValue;
  const Json *v = field(name, "b");
  if (!v)
    return false;
  if (!v->is_boolean()) {
    setError("attribute '" + name + "' is not a boolean: " + v->dump());
    return defaultValue;
  }
  return v->get<bool>();
}

static std::optional<std::string> decode(const Json &v) {
  if (!v.is_string())
    return std::nullopt;
  std::vector<char> bytes;
  if (llvm::Error err = llvm::decodeBase64(v.get_ref<const std::string &>(), bytes)) {
    llvm::consumeError(std::move(err));
    return std::nullopt;
  }
  return std::string(bytes.begin(), bytes.end());
}

std::string AttrReader::getString(llvm::StringRef name, llvm::StringRef defaultValue) {
  if (!has(name))
    return defaultValue.str();
  const Json *v = field(name, "s");
  if (!v)
    return "";
  std::optional<std::string> s = decode(*v);
  if (!s)
    setError("attribute '" + name + "' is not a base64 string: " + v->dump());
  return s.value_or(defaultValue.str());
}

std::vector<int64_t> AttrReader::getInts(llvm::StringRef name) {
  std::vector<int64_t> out;
  const Json *list = field(name, "list");
  if (!list)
    return out;
  auto it = list->find("i");
  if (it == list->end())
    return out;
  for (const Json &v : *it) {
    std::optional<int64_t> i = jsonInt(v);
    if (!i) {
      setError("attribute '" + name + "' is not a list of integers: " + it->dump());
      return {};
    }
    out.push_back(*i);
  }
  return out;
}

std::vector<std::string> AttrReader::getStrings(llvm::StringRef name) {
  std::vector<std::string> out;
  const Json *list = field(name, "list");
  if (!list)
    return out;
  auto it = list->find("s");
  if (it == list->end())
    return out;
  for (const Json &v : *it) {
    std::optional<std::string> s = decode(v);
    if (!s) {
      setError("attribute '" + name + "' is not a list of base64 strings: " + it->dump());
      return {};
    }
    out.push_back(*s);
  }
  return out;
}

std::optional<DType> AttrReader::getType(llvm::StringRef name) {
  const Json *v = field(name, "type");
  if (!v) // absent, or DT_INVALID (the default, omitted)
    return std::nullopt;
  if (!v->is_string()) {
    setError("attribute '" + name + "' is not a type name: " + v->dump());
    return std::nullopt;
  }
  std::optional<DType> dtype = dtypeFromTf(v->get_ref<const std::string &>());
  if (!dtype)
    setError("attribute '" + name + "' has element type " + v->get<std::string>() +
             ", which Kiln does not support");
  return dtype;
}

std::optional<std::vector<int64_t>> AttrReader::getShape(llvm::StringRef name) {
  const Json *v = field(name, "shape");
  if (!v)
    return std::nullopt;
  auto shape = jsonShape(*v, "attribute '" + name + "'");
  if (!shape) {
    setError(llvm::toString(shape.takeError()));
    return std::nullopt;
  }
  return *shape;
}

std::optional<std::pair<std::string, std::vector<int64_t>>>
AttrReader::getTensorType(llvm::StringRef name) {
  const Json *v = field(name, "tensor");
  if (!v)
    return std::nullopt;
  if (!v->is_object()) {
    setError("attribute '" + name + "' is not a tensor");
    return std::nullopt;
  }
  std::string dtype;
  if (auto it = v->find("dtype"); it != v->end()) {
    if (!it->is_string()) {
      setError("attribute '" + name + "' has a tensor dtype that is not a name: " + it->dump());
      return std::nullopt;
    }
    dtype = it->get<std::string>();
  }
  std::vector<int64_t> shape;
  if (auto it = v->find("tensorShape"); it != v->end()) {
    auto s = jsonShape(*it, "attribute '" + name + "'");
    if (!s) {
      setError(llvm::toString(s.takeError()));
      return std::nullopt;
    }
    if (*s)
      shape = std::move(**s);
  }
  return std::make_pair(dtype, shape);
}

} // namespace kiln::tfjs_import
