//===- Interface.cpp - a TF.js model's inputs and outputs -----------------===//
//
// Which tensors are the model's inputs and outputs, what they are called,
// and the static shapes of the inputs. The rules are TF.js's own
// (OperationMapper.transformGraph): with a signature, its entries in order,
// named by their keys; without one, every Placeholder, and every node that
// nothing consumes, named by the node.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/import/tfjs/GraphImporter.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace kiln::tfjs_import {

static llvm::StringRef nodeOf(llvm::StringRef tensor) { return tensor.rsplit(':').first; }

// "1x?x?x3": the --input-shape spelling, '?' where unknown.
static std::string shapeTemplate(llvm::ArrayRef<int64_t> shape) {
  std::string out;
  for (int64_t d : shape)
    out += (out.empty() ? "" : "x") + (d < 0 ? std::string("?") : std::to_string(d));
  return out;
}

namespace {
struct Candidate {
  std::string key;
  const TfNode *node;
  const SignatureEntry *signature; // may be null
};
} // namespace

// Shape and dtype of one input from its Placeholder (and signature entry),
// with --input-shape applied and the batch pinned. Unknown dimensions that
// remain are added to `dynamic`.
static llvm::Error settleInput(const Candidate &c, const TfjsImportOptions &options,
                               const std::vector<int64_t> *given, InterfaceTensor &out,
                               std::vector<std::string> &dynamic, std::vector<std::string> &hints) {
  AttrReader attrs(c.node->attr);
  std::optional<std::vector<int64_t>> shape = attrs.getShape("shape");
  std::optional<DType> dtype = attrs.getType("dtype");
  if (llvm::Error err = attrs.takeError())
    return makeError("input '" + c.key + "': " + llvm::toString(std::move(err)));
  if (!shape && c.signature)
    shape = c.signature->shape;
  if (!dtype && c.signature && !c.signature->dtype.empty()) {
    dtype = dtypeFromTf(c.signature->dtype);
    if (!dtype)
      return makeError("input '" + c.key + "' has element type " + c.signature->dtype +
                       ", which Kiln does not support");
  }
  if (!dtype)
    return makeError("input '" + c.key + "' has no dtype");
  out.kilnName = c.key;
  out.tensor = c.node->name + ":0";
  out.dtype = *dtype;

  if (given) {
    std::string flag = "--input-shape " + c.key + "=" + shapeTemplate(*given);
    if (shape && shape->size() != given->size())
      return makeError(flag + ": input '" + c.key + "' has rank " + llvm::Twine(shape->size()) +
                       " in the model, not " + llvm::Twine(given->size()));
    for (size_t d = 0; shape && d < given->size(); ++d)
      if ((*shape)[d] >= 0 && (*shape)[d] != (*given)[d])
        return makeError(flag + ": dimension " + llvm::Twine(d) + " of input '" + c.key + "' is " +
                         llvm::Twine((*shape)[d]) + " in the model");
    out.shape = *given;
    return llvm::Error::success();
  }
  if (!shape) {
    dynamic.push_back("input '" + c.key + "' has unknown rank");
    hints.push_back("--input-shape " + c.key + "=...");
    return llvm::Error::success();
  }
  out.shape = *shape;
  if (options.pinBatchToOne && !out.shape.empty() && out.shape[0] < 0)
    out.shape[0] = 1;
  // A dimension with no size reads as 0 (TF's unknown is -1): an empty
  // tensor reached TOSA, which has none (an internal error; found by the
  // tfjs-json fuzz target).
  for (size_t d = 0; d < out.shape.size(); ++d)
    if (out.shape[d] == 0)
      return makeError("input '" + c.key + "' dimension " + llvm::Twine(d) +
                       " is 0: Kiln compiles no empty tensors");
  bool any = false;
  for (size_t d = 0; d < out.shape.size(); ++d)
    if (out.shape[d] < 0) {
      any = true;
      dynamic.push_back("input '" + c.key + "' dimension " + std::to_string(d) + " is unknown");
    }
  if (any)
    hints.push_back("--input-shape " + c.key + "=" + shapeTemplate(out.shape));
  return llvm::Error::success();
}

// An input of --input-value: the shape settleInput checks against the model
// (--input-shape's, else the model's with one unknown dimension taking what
// the value count leaves, else [count]), and the values as a literal of its
// dtype.
static llvm::Error settleFixedInput(const Candidate &c, const TfjsImportOptions &options,
                                    const std::vector<int64_t> *given,
                                    llvm::ArrayRef<double> values, InterfaceTensor &out,
                                    Literal &literal) {
  std::string flag = "--input-value " + c.key;
  const int64_t count = values.size();
  std::vector<int64_t> shape;
  if (given) {
    shape = *given;
  } else {
    AttrReader attrs(c.node->attr);
    std::optional<std::vector<int64_t>> declared = attrs.getShape("shape");
    if (llvm::Error err = attrs.takeError())
      return makeError("input '" + c.key + "': " + llvm::toString(std::move(err)));
    if (!declared && c.signature)
      declared = c.signature->shape;
    if (!declared) {
      shape = {count};
    } else {
      shape = *declared;
      int64_t known = 1, unknown = 0;
      for (int64_t d : shape)
        d < 0 ? ++unknown : known *= d;
      if (unknown > 1 || (unknown == 1 && (known == 0 || count % known != 0)))
        return makeError(flag + ": input '" + c.key + "' has shape " + shapeTemplate(shape) +
                         ", which " + llvm::Twine(count) + " values do not settle; give it with " +
                         "--input-shape " + c.key + "=...");
      for (int64_t &d : shape)
        if (d < 0)
          d = count / known;
    }
  }
  std::vector<std::string> dynamic, hints;
  if (llvm::Error err = settleInput(c, options, &shape, out, dynamic, hints))
    return err;
  if (numElements(out.shape) != count)
    return makeError(flag + ": " + llvm::Twine(count) + " value" + (count == 1 ? "" : "s") +
                     " given, but input '" + c.key + "' " +
                     (out.shape.empty() ? std::string("is a scalar")
                                        : "of shape " + shapeTemplate(out.shape) + " holds " +
                                              std::to_string(numElements(out.shape))));
  auto notRepresentable = [&](double v, llvm::StringRef what) {
    char text[32];
    std::snprintf(text, sizeof text, "%.10g", v);
    return makeError(flag + ": value " + text + " is not " + what + " (input '" + c.key + "' is " +
                     dtypeName(out.dtype) + ")");
  };
  if (out.dtype == DType::F32) {
    std::vector<float> floats;
    for (double v : values) {
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
        return notRepresentable(v, "within float32's range");
      floats.push_back(static_cast<float>(v));
    }
    literal = Literal::fromFloats(out.shape, std::move(floats));
    return llvm::Error::success();
  }
  std::vector<int64_t> ints;
  for (double v : values) {
    if (out.dtype == DType::Bool && v != 0 && v != 1)
      return notRepresentable(v, "a bool (0, 1, false or true)");
    if (out.dtype == DType::I32 &&
        (!std::isfinite(v) || v != std::trunc(v) || v < std::numeric_limits<int32_t>::min() ||
         v > std::numeric_limits<int32_t>::max()))
      return notRepresentable(v, "an int32");
    ints.push_back(static_cast<int64_t>(v));
  }
  literal = Literal::fromInts(out.dtype, out.shape, std::move(ints));
  return llvm::Error::success();
}

llvm::Error GraphImporter::resolveInputs() {
  std::vector<Candidate> candidates;
  if (!model_.signatureInputs.empty()) {
    for (const SignatureEntry &e : model_.signatureInputs) {
      auto it = nodeIndex_.find(nodeOf(e.name));
      if (it == nodeIndex_.end())
        return makeError("signature input '" + e.key + "' names tensor '" + e.name +
                         "', which no node defines");
      const TfNode &node = model_.nodes[it->second];
      if (node.op != "Placeholder")
        return makeError("signature input '" + e.key + "' is " + describeNode(node) +
                         ", not a Placeholder");
      candidates.push_back({e.key, &node, &e});
    }
  } else {
    for (const TfNode &node : model_.nodes)
      if (node.op == "Placeholder")
        candidates.push_back({node.name, &node, nullptr});
  }

  // --input-shape and --input-value may name an input by its key or by its
  // node.
  llvm::StringSet<> used, usedValues;
  std::vector<std::string> names, dynamic, hints;
  for (const Candidate &c : candidates) {
    names.push_back("'" + c.key + "'");
    const std::vector<int64_t> *given = nullptr;
    const std::vector<double> *values = nullptr;
    // Two spellings of one input (`x` and `x:0`) are one input given twice.
    std::string shapeName, valueName;
    auto twice = [&](llvm::StringRef flag, llvm::StringRef first, llvm::StringRef second) {
      return makeError(flag + " " + second + ": input '" + c.key + "' is given twice (as '" +
                       first + "' and '" + second + "')");
    };
    llvm::SmallVector<std::string, 3> spellings{c.key};
    for (std::string name : {c.node->name, c.node->name + ":0"})
      if (!llvm::is_contained(spellings, name))
        spellings.push_back(name);
    for (const std::string &name : spellings) {
      auto it = options_.inputShapes.find(name);
      if (it != options_.inputShapes.end()) {
        if (given)
          return twice("--input-shape", shapeName, name);
        given = &it->second;
        shapeName = name;
        used.insert(name);
      }
      auto v = options_.inputValues.find(name);
      if (v != options_.inputValues.end()) {
        if (values)
          return twice("--input-value", valueName, name);
        values = &v->second;
        valueName = name;
        usedValues.insert(name);
      }
    }
    InterfaceTensor input;
    if (values) {
      Literal literal;
      if (llvm::Error err = settleFixedInput(c, options_, given, *values, input, literal))
        return err;
      fixedInputs_.push_back({std::move(input), std::move(literal)});
      continue;
    }
    if (llvm::Error err = settleInput(c, options_, given, input, dynamic, hints))
      return err;
    inputs_.push_back(std::move(input));
  }
  for (const auto &[name, dims] : options_.inputShapes)
    if (!used.contains(name))
      return makeError("--input-shape " + name + "=" + shapeTemplate(dims) +
                       ": the model has no input '" + name + "' (its inputs: " +
                       (names.empty() ? std::string("none") : llvm::join(names, ", ")) + ")");
  for (const auto &[name, values] : options_.inputValues)
    if (!usedValues.contains(name))
      return makeError("--input-value " + name + ": the model has no input '" + name +
                       "' (its inputs: " +
                       (names.empty() ? std::string("none") : llvm::join(names, ", ")) + ")");
  if (!dynamic.empty())
    return makeError(llvm::join(dynamic, ", ") + "; give " + (dynamic.size() > 1 ? "them" : "it") +
                     " with " + llvm::join(hints, ", ") + " (each ? a size)");
  return llvm::Error::success();
}

llvm::Error GraphImporter::resolveOutputs() {
  if (!model_.signatureOutputs.empty()) {
    for (const SignatureEntry &e : model_.signatureOutputs) {
      if (!nodeIndex_.count(nodeOf(e.name)))
        return makeError("signature output '" + e.key + "' names tensor '" + e.name +
                         "', which no node defines");
      outputs_.push_back(InterfaceTensor{e.key, e.name, {}, DType::F32});
    }
    return llvm::Error::success();
  }
  // Without a signature TF.js returns every node nothing consumes. Unused
  // constants and placeholders compute nothing and are left out.
  llvm::StringSet<> consumed;
  for (const TfNode &node : model_.nodes)
    for (const std::string &input : node.inputs)
      consumed.insert(nodeOf(input));
  for (const TfNode &node : model_.nodes)
    if (!consumed.contains(node.name) && node.op != "Const" && node.op != "Placeholder" &&
        node.op != "NoOp")
      outputs_.push_back(InterfaceTensor{node.name, node.name + ":0", {}, DType::F32});
  if (outputs_.empty())
    return makeError("the model has no outputs (no signature, and every node is consumed)");
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
