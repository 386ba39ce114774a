//===- Mutators.cpp - structure-aware mutation for ONNX and model.json ----===//
//
// Byte mutations mostly break a protobuf's lengths or a JSON's syntax, and
// the importers reject the input before their own code runs. Half the time
// these mutators instead parse the input (a ModelProto through protobuf's
// reflection, a model.json with nlohmann), change one thing in its tree (a
// number to an interesting value, a string to a dictionary word, an element
// dropped, duplicated or copied from elsewhere) and write it back. The other
// half, and any input that does not parse, gets libFuzzer's own mutations.
// libprotobuf-mutator does this for protobuf, but is not packaged in Debian.
//
//===----------------------------------------------------------------------===//
#include "fuzz/Mutators.h"

#include "fuzz/FuzzInputs.h"

#include "nlohmann/json.hpp"
#include "onnx/onnx_pb.h"
#include "llvm/Support/MemoryBuffer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstring>
#include <limits>
#include <random>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace kiln::fuzz {
namespace {

using Rng = std::minstd_rand;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

size_t pick(Rng &rng, size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }

// Values at the edges of what shape and index arithmetic handles.
int64_t interestingInt(Rng &rng) {
  static const int64_t values[] = {0,
                                   1,
                                   -1,
                                   2,
                                   3,
                                   4,
                                   7,
                                   8,
                                   16,
                                   255,
                                   256,
                                   65535,
                                   65536,
                                   (int64_t(1) << 31) - 1,
                                   int64_t(1) << 31,
                                   -(int64_t(1) << 31),
                                   int64_t(1) << 32,
                                   int64_t(1) << 40,
                                   int64_t(1) << 53,
                                   int64_t(1) << 62,
                                   std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min()};
  return values[pick(rng, std::size(values))];
}

double interestingDouble(Rng &rng) {
  static const double values[] = {0.0,     -0.0,   1.0,  -1.0,  0.5,    1e-45, 1e-300,
                                  65504.0, 3.4e38, 1e39, 1e308, -1e308, 1.5,   1e-7};
  return values[pick(rng, std::size(values))];
}

// The dictionary's words, without quotes: fuzz/dicts/<name>.dict.
std::vector<std::string> readDictionary(const std::string &path) {
  std::vector<std::string> words;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return words;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    size_t open = line.find('"'), close = line.rfind('"');
    if (line.starts_with("#") || open == llvm::StringRef::npos || close <= open)
      continue;
    std::string word;
    llvm::StringRef body = line.slice(open + 1, close);
    for (size_t i = 0; i < body.size(); ++i) { // libFuzzer's escapes: \" \\ \xAB
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == 'x' && i + 3 < body.size()) {
        word.push_back(static_cast<char>(std::stoi(body.substr(i + 2, 2).str(), nullptr, 16)));
        i += 3;
      } else if (body[i] == '\\' && i + 1 < body.size()) {
        word.push_back(body[++i]);
      } else {
        word.push_back(body[i]);
      }
    }
    // A JSON string token in the dictionary ("\"Conv2D\"") is a word here.
    if (word.size() >= 2 && word.front() == '"' && word.back() == '"')
      word = word.substr(1, word.size() - 2);
    words.push_back(word);
  }
  return words;
}

// libFuzzer's byte mutations on a string of the tree.
std::string mutateBytes(const std::string &in) {
  std::string buffer = in;
  buffer.resize(in.size() + 64);
  buffer.resize(
      LLVMFuzzerMutate(reinterpret_cast<uint8_t *>(buffer.data()), in.size(), buffer.size()));
  return buffer;
}

//===----------------------------------------------------------------------===//
// ONNX: protobuf reflection over the ModelProto.
//===----------------------------------------------------------------------===//

struct FieldRef {
  Message *message;
  const FieldDescriptor *field;
  int index; // -1: the field as a whole (singular, or a repeated one)
};

void collectFields(Message &message, std::vector<FieldRef> &out, int depth) {
  if (depth > 12 || out.size() > 20000)
    return;
  const Reflection *reflection = message.GetReflection();
  std::vector<const FieldDescriptor *> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor *field : fields) {
    if (field->is_repeated()) {
      int n = reflection->FieldSize(message, field);
      out.push_back({&message, field, -1});
      for (int i = 0; i < n; ++i) {
        out.push_back({&message, field, i});
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
          collectFields(*reflection->MutableRepeatedMessage(&message, field, i), out, depth + 1);
      }
    } else {
      out.push_back({&message, field, -1});
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
        collectFields(*reflection->MutableMessage(&message, field), out, depth + 1);
    }
  }
}

void mutateField(const FieldRef &ref, const std::vector<FieldRef> &all,
                 const std::vector<std::string> &words, Rng &rng) {
  Message &m = *ref.message;
  const Reflection *r = m.GetReflection();
  const FieldDescriptor *f = ref.field;
  if (f->is_repeated() && ref.index < 0) { // the list: drop, clear, or grow it
    int n = r->FieldSize(m, f);
    switch (pick(rng, 4)) {
    case 0:
      if (n > 0) {
        r->SwapElements(&m, f, static_cast<int>(pick(rng, n)), n - 1);
        r->RemoveLast(&m, f);
      }
      return;
    case 1:
      r->ClearField(&m, f);
      return;
    default: // a copy of one of its elements (or of a like message elsewhere)
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        std::vector<const Message *> like;
        for (const FieldRef &other : all)
          if (other.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
              other.field->message_type() == f->message_type() && other.index >= 0)
            like.push_back(&other.message->GetReflection()->GetRepeatedMessage(
                *other.message, other.field, other.index));
        if (!like.empty()) {
          const Message *source = like[pick(rng, like.size())];
          if (source->GetDescriptor() == f->message_type())
            r->AddMessage(&m, f)->CopyFrom(*source);
        }
        return;
      }
      if (n > 0) {
        switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT64:
          r->AddInt64(&m, f, r->GetRepeatedInt64(m, f, static_cast<int>(pick(rng, n))));
          return;
        case FieldDescriptor::CPPTYPE_STRING:
          r->AddString(&m, f, r->GetRepeatedString(m, f, static_cast<int>(pick(rng, n))));
          return;
        default:
          break;
        }
      }
      return;
    }
  }
  bool repeated = f->is_repeated();
  int i = ref.index;
  switch (f->cpp_type()) {
  case FieldDescriptor::CPPTYPE_INT32: {
    int32_t v = static_cast<int32_t>(pick(rng, 2) ? interestingInt(rng) : pick(rng, 20));
    repeated ? r->SetRepeatedInt32(&m, f, i, v) : r->SetInt32(&m, f, v);
    return;
  }
  case FieldDescriptor::CPPTYPE_INT64: {
    int64_t v = interestingInt(rng);
    repeated ? r->SetRepeatedInt64(&m, f, i, v) : r->SetInt64(&m, f, v);
    return;
  }
  case FieldDescriptor::CPPTYPE_UINT64: {
    uint64_t v = static_cast<uint64_t>(interestingInt(rng));
    repeated ? r->SetRepeatedUInt64(&m, f, i, v) : r->SetUInt64(&m, f, v);
    return;
  }
  case FieldDescriptor::CPPTYPE_FLOAT: {
    float v = static_cast<float>(interestingDouble(rng));
    repeated ? r->SetRepeatedFloat(&m, f, i, v) : r->SetFloat(&m, f, v);
    return;
  }
  case FieldDescriptor::CPPTYPE_DOUBLE: {
    double v = interestingDouble(rng);
    repeated ? r->SetRepeatedDouble(&m, f, i, v) : r->SetDouble(&m, f, v);
    return;
  }
  case FieldDescriptor::CPPTYPE_ENUM: {
    const auto *type = f->enum_type();
    const auto *value = type->value(static_cast<int>(pick(rng, type->value_count())));
    repeated ? r->SetRepeatedEnum(&m, f, i, value) : r->SetEnum(&m, f, value);
    return;
  }
  case FieldDescriptor::CPPTYPE_STRING: {
    std::string old = repeated ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
    std::string v;
    if (!words.empty() && pick(rng, 2))
      v = words[pick(rng, words.size())];
    else if (pick(rng, 2)) { // a string used elsewhere (a tensor name): rewires the graph
      const FieldRef &other = all[pick(rng, all.size())];
      const Reflection *o = other.message->GetReflection();
      if (other.field->cpp_type() != FieldDescriptor::CPPTYPE_STRING)
        v = old;
      else if (other.index >= 0)
        v = o->GetRepeatedString(*other.message, other.field, other.index);
      else if (!other.field->is_repeated())
        v = o->GetString(*other.message, other.field);
      else
        v = old;
    } else {
      v = mutateBytes(old);
    }
    repeated ? r->SetRepeatedString(&m, f, i, v) : r->SetString(&m, f, v);
    return;
  }
  case FieldDescriptor::CPPTYPE_MESSAGE:
    if (!repeated && pick(rng, 4) == 0)
      r->ClearField(&m, f);
    return;
  default:
    return;
  }
}

//===----------------------------------------------------------------------===//
// model.json: a walk over nlohmann's tree.
//===----------------------------------------------------------------------===//

using Json = nlohmann::ordered_json;

void collectNodes(Json &node, std::vector<Json *> &out, int depth) {
  if (depth > 24 || out.size() > 50000)
    return;
  out.push_back(&node);
  if (node.is_array() || node.is_object())
    for (Json &child : node)
      collectNodes(child, out, depth + 1);
}

// TF keeps int64 attributes as strings ("size": "3", "i": "1").
bool isIntegerString(const std::string &s) {
  if (s.empty() || s.size() > 20)
    return false;
  size_t start = s[0] == '-' ? 1 : 0;
  return start < s.size() && s.find_first_not_of("0123456789", start) == std::string::npos;
}

void mutateJson(Json &node, const std::vector<Json *> &all, const std::vector<std::string> &words,
                Rng &rng) {
  if (pick(rng, 8) == 0) { // splice: a copy of another node
    Json copy = *all[pick(rng, all.size())];
    node = std::move(copy);
    return;
  }
  switch (node.type()) {
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
    node = pick(rng, 4) ? Json(interestingInt(rng)) : Json(static_cast<int64_t>(pick(rng, 10)));
    return;
  case Json::value_t::number_float:
    node = pick(rng, 2) ? Json(interestingDouble(rng)) : Json(interestingInt(rng));
    return;
  case Json::value_t::boolean:
    node = !node.get<bool>();
    return;
  case Json::value_t::string: {
    const std::string &s = node.get_ref<const std::string &>();
    if (isIntegerString(s) && pick(rng, 4))
      node =
          std::to_string(pick(rng, 2) ? interestingInt(rng) : static_cast<int64_t>(pick(rng, 10)));
    else if (!words.empty() && pick(rng, 2))
      node = words[pick(rng, words.size())];
    else
      node = mutateBytes(s);
    return;
  }
  case Json::value_t::array:
    // Copies first: `all` and `node`'s own elements move when it grows.
    if (node.empty() || pick(rng, 3) == 0) {
      Json copy = node.empty() ? *all[pick(rng, all.size())] : node[pick(rng, node.size())];
      node.push_back(std::move(copy));
    } else if (pick(rng, 2)) {
      node.erase(pick(rng, node.size()));
    } else {
      Json copy = node[pick(rng, node.size())];
      node.insert(node.begin() + pick(rng, node.size()), std::move(copy));
    }
    return;
  case Json::value_t::object:
    if (!node.empty() && pick(rng, 2)) {
      auto it = node.begin();
      std::advance(it, pick(rng, node.size()));
      node.erase(it);
    } else if (!words.empty()) {
      Json copy = *all[pick(rng, all.size())];
      node[words[pick(rng, words.size())]] = std::move(copy);
    }
    return;
  default: {
    Json copy = *all[pick(rng, all.size())];
    node = std::move(copy);
    return;
  }
  }
}

size_t writeBack(const std::string &bytes, uint8_t *data, size_t maxSize) {
  if (bytes.size() > maxSize)
    return 0;
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

} // namespace

size_t mutateOnnx(uint8_t *data, size_t size, size_t maxSize, unsigned seed,
                  const std::vector<std::string> &words) {
  Rng rng(seed);
  if (pick(rng, 2))
    return 0;
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size)))
    return 0;
  std::vector<FieldRef> fields;
  collectFields(model, fields, 0);
  if (fields.empty())
    return 0;
  for (size_t n = 1 + pick(rng, 3); n > 0; --n) {
    // Mutations can free messages that later references point into: collect
    // again after each.
    mutateField(fields[pick(rng, fields.size())], fields, words, rng);
    fields.clear();
    collectFields(model, fields, 0);
    if (fields.empty())
      break;
  }
  return writeBack(model.SerializeAsString(), data, maxSize);
}

size_t mutateModelJson(uint8_t *data, size_t size, size_t maxSize, unsigned seed,
                       const std::vector<std::string> &words) {
  Rng rng(seed);
  if (pick(rng, 2))
    return 0;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto [text, tail] = bytes.split('\0');
  Json root = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return 0;
  for (size_t n = 1 + pick(rng, 3); n > 0; --n) {
    std::vector<Json *> nodes;
    collectNodes(root, nodes, 0);
    mutateJson(*nodes[pick(rng, nodes.size())], nodes, words, rng);
  }
  // Byte mutations can leave a string that is not UTF-8: written as U+FFFD.
  std::string out = root.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (bytes.contains('\0'))
    out += '\0' + tail.str();
  return writeBack(out, data, maxSize);
}

std::vector<std::string> dictionaryWords(const std::string &name) {
  return readDictionary(fuzzDir() + "/dicts/" + name + ".dict");
}

} // namespace kiln::fuzz
