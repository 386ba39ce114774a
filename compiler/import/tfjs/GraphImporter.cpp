//===- GraphImporter.cpp - a TF.js GraphDef to func.func over TOSA --------===//
#include "compiler/import/tfjs/GraphImporter.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/common/Constants.h"
#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/import/tfjs/OpContext.h"
#include "compiler/import/tfjs/ops/Complex.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "compiler/support/Error.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <queue>

using namespace mlir;

namespace kiln::tfjs_import {

static std::string joinList(llvm::ArrayRef<std::string> items) {
  std::string out;
  for (const std::string &item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string describeNode(const TfNode &node) {
  return "node '" + node.name + "' (op " + node.op + ")";
}

static llvm::StringRef nodeOf(llvm::StringRef tensor) { return tensor.rsplit(':').first; }

GraphImporter::GraphImporter(MLIRContext &context, const TfjsModel &model,
                             llvm::StringMap<Weight> weights, const TfjsImportOptions &options)
    : context_(context), model_(model), weights_(std::move(weights)), options_(options),
      builder_(&context) {}

ValueEntry *GraphImporter::lookup(llvm::StringRef tensor) {
  auto it = values_.find(tensor);
  if (it != values_.end())
    return &it->second;
  return deadNodes_.contains(nodeOf(tensor)) ? &deadEntry_ : nullptr;
}

void GraphImporter::define(llvm::StringRef tensor, ValueEntry entry) {
  values_[tensor] = std::move(entry);
}

template <typename T> static llvm::ArrayRef<char> asBytes(const std::vector<T> &values) {
  return {reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T)};
}

Value GraphImporter::createConstant(const Literal &literal, llvm::StringRef nameHint) {
  auto type = RankedTensorType::get(literal.shape(), mlirTypeOf(&context_, literal.dtype()));
  ElementsAttr attr;
  switch (literal.dtype()) {
  case DType::F32:
    attr = import::constantAttr(type, asBytes(literal.floats()), nameHint);
    break;
  case DType::I32:
    attr = import::constantAttr(
        type, asBytes(std::vector<int32_t>(literal.ints().begin(), literal.ints().end())),
        nameHint);
    break;
  case DType::Bool: // one byte per element
    attr = import::constantAttr(
        type, asBytes(std::vector<char>(literal.ints().begin(), literal.ints().end())), nameHint);
    break;
  default:
    llvm_unreachable("literals hold only the types TF.js runs (isTfjsDType)");
  }
  auto loc = NameLoc::get(builder_.getStringAttr(nameHint));
  return builder_.create<tosa::ConstOp>(loc, type, attr).getResult();
}

Value GraphImporter::derivedConstant(llvm::StringRef key, llvm::function_ref<Literal()> make) {
  Value &v = derived_[key];
  if (!v)
    v = createConstant(make(), key);
  return v;
}

Value GraphImporter::materialize(ValueEntry &entry, llvm::StringRef tensor) {
  if (!entry.value)
    entry.value =
        createConstant(*entry.literal, !entry.origin.empty()    ? llvm::StringRef(entry.origin)
                                       : tensor.ends_with(":0") ? nodeOf(tensor)
                                                                : tensor);
  return entry.value;
}

llvm::Error GraphImporter::createFunction(ModuleOp module) {
  llvm::SmallVector<Type> argTypes;
  for (const InterfaceTensor &in : inputs_)
    argTypes.push_back(RankedTensorType::get(in.shape, mlirTypeOf(&context_, in.dtype)));
  builder_.setInsertionPointToEnd(module.getBody());
  func_ = builder_.create<func::FuncOp>(builder_.getUnknownLoc(), "main",
                                        builder_.getFunctionType(argTypes, {}));
  Block *entry = func_.addEntryBlock();
  for (size_t i = 0; i < inputs_.size(); ++i) {
    func_.setArgAttr(i, "kiln.name", builder_.getStringAttr(inputs_[i].kilnName));
    define(inputs_[i].tensor, ValueEntry{entry->getArgument(i), std::nullopt, ""});
  }
  for (const auto &[in, literal] : fixedInputs_)
    define(in.tensor, ValueEntry{Value(), literal, nodeOf(in.tensor).str()});
  builder_.setInsertionPointToEnd(entry);
  return llvm::Error::success();
}

llvm::Error GraphImporter::importConst(const TfNode &node) {
  // TF.js reads a Const's value from the weights, by the node's name.
  auto it = weights_.find(node.name);
  if (it == weights_.end())
    return makeError(describeNode(node) + ": no weight of this name in the weightsManifest");
  if (it->second.opaque)
    return makeError(describeNode(node) +
                     ": its value is a string or complex64 tensor, which Kiln does not support");
  AttrReader attrs(node.attr);
  auto declared = attrs.getTensorType("value");
  if (llvm::Error err = attrs.takeError())
    return makeError(describeNode(node) + ": " + llvm::toString(std::move(err)));
  const Literal &literal = it->second.tensor;
  if (declared && llvm::ArrayRef<int64_t>(declared->second) != literal.shape())
    return makeError(describeNode(node) + ": the weightsManifest gives shape " +
                     shapeString(literal.shape()) + " but the node declares " +
                     shapeString(declared->second));
  define(node.name + ":0", ValueEntry{Value(), literal, node.name});
  return llvm::Error::success();
}

static std::string expectedInputs(const OpInfo &info) {
  std::string min = std::to_string(info.minInputs);
  if (info.maxInputs == info.minInputs)
    return min;
  if (info.maxInputs < 0)
    return min + " or more";
  return min + " to " + std::to_string(info.maxInputs);
}

llvm::Error GraphImporter::importNode(const TfNode &node) {
  if (node.op == "Const")
    return importConst(node);
  if (node.op == "Placeholder")
    return llvm::Error::success(); // defined as a function argument
  const OpInfo *info = tfjsOpTable().lookup(node.op);
  int n = node.inputs.size();
  if (n < info->minInputs || (info->maxInputs >= 0 && n > info->maxInputs))
    return makeError(describeNode(node) + ": has " + llvm::Twine(n) + " inputs, expected " +
                     expectedInputs(*info));
  // The outputs depend on every Switch any input depends on.
  const Guard *guard = nullptr;
  for (const std::string &input : node.inputs) {
    ValueEntry *e = lookup(input);
    if (!e)
      return makeError(describeNode(node) + ": reads '" + input + "', an output that node '" +
                       nodeOf(input) + "' does not have");
    if (e->dead && node.op != "Merge") {
      markDead(node.name);
      return llvm::Error::success();
    }
    if (!guard || e->guard.size() > guard->size())
      guard = &e->guard;
  }
  Guard inherited = guard && node.op != "Merge" && node.op != "Switch" ? *guard : Guard();
  // A node reading a complex64 value has its own converter, if any.
  ConvertFn convert = info->convert;
  for (const std::string &input : node.inputs)
    if (lookup(input)->imag && !(convert = complexConverter(node.op)))
      return makeError(describeNode(node) + ": reads '" + input + "', a complex64 value; " +
                       complexTakersNote());
  OpContext ctx(*this, node, NameLoc::get(builder_.getStringAttr(node.name)));
  llvm::Error convertErr = convert(ctx);
  // A malformed attribute is the cause of whatever else went wrong.
  if (llvm::Error attrErr = ctx.attrs().takeError()) {
    llvm::consumeError(std::move(convertErr));
    return makeError(describeNode(node) + ": " + llvm::toString(std::move(attrErr)));
  }
  if (convertErr)
    return makeError(describeNode(node) + ": " + llvm::toString(std::move(convertErr)));
  if (!lookup(node.name + ":0"))
    return makeError(describeNode(node) + ": internal error: the converter defined no output");
  if (!inherited.empty())
    for (int i = 0; ValueEntry *out = lookup(node.name + ":" + std::to_string(i)); ++i)
      if (out->guard.size() < inherited.size())
        out->guard = inherited;
  return llvm::Error::success();
}

llvm::Error GraphImporter::finishFunction() {
  llvm::SmallVector<Value> results;
  for (const InterfaceTensor &out : outputs_) {
    ValueEntry *entry = lookup(out.tensor);
    if (!entry)
      return makeError("output '" + out.kilnName + "': node '" + nodeOf(out.tensor) +
                       "' has no output '" + out.tensor + "'");
    if (entry->dead)
      return makeError("output '" + out.kilnName + "' is on the untaken side of a TF1 Switch: " +
                       "the model computes no value for it");
    if (entry->imag)
      return makeError("output '" + out.kilnName + "' (node '" + nodeOf(out.tensor) +
                       "') is complex64, which Kiln's outputs cannot be: take its Real, Imag or " +
                       "ComplexAbs in the model");
    results.push_back(materialize(*entry, out.tensor));
  }
  builder_.create<func::ReturnOp>(builder_.getUnknownLoc(), results);
  func_.setFunctionType(
      builder_.getFunctionType(func_.getArgumentTypes(), ValueRange(results).getTypes()));
  for (size_t i = 0; i < outputs_.size(); ++i)
    func_.setResultAttr(i, "kiln.name", builder_.getStringAttr(outputs_[i].kilnName));
  return llvm::Error::success();
}

// Converters may leave ops behind that end up unused (a reshape whose
// consumer folded on the host, a constant only a folded op read; a fill of
// run-time length whose concatenation took only its value, ops/Count.h).
// Erasing them here keeps the imported IR what the model computes. A
// kiln.compact has no effect but its results (tosa.custom is not known to
// MLIR as free of side effects).
static void eraseDeadOps(func::FuncOp func) {
  Block &body = func.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body))) {
    auto custom = dyn_cast<tosa::CustomOp>(&op);
    if (isOpTriviallyDead(&op) ||
        (custom && custom.getOperatorName() == import::kCompactOp && op.use_empty()))
      op.erase();
  }
}

llvm::Expected<OwningOpRef<ModuleOp>> GraphImporter::run() {
  context_.loadDialect<func::FuncDialect, tosa::TosaDialect>();
  for (size_t i = 0; i < model_.nodes.size(); ++i)
    if (!nodeIndex_.try_emplace(model_.nodes[i].name, i).second)
      return makeError("two nodes are named '" + model_.nodes[i].name + "'");
  if (llvm::Error err = resolveInputs())
    return std::move(err);
  if (llvm::Error err = resolveOutputs())
    return std::move(err);
  if (llvm::Error err = selectAndOrderNodes())
    return std::move(err);

  OwningOpRef<ModuleOp> module = ModuleOp::create(builder_.getUnknownLoc());
  if (llvm::Error err = createFunction(*module))
    return std::move(err);
  std::vector<bool> frameDone(frames_.size(), false);
  for (size_t i : order_) {
    int f = frameOf_[i];
    if (f < 0) {
      if (llvm::Error err = importNode(model_.nodes[i]))
        return std::move(err);
      continue;
    }
    // A frame runs at its first own Exit (not a nested frame's), which
    // follows every other member.
    if (frameDone[f] || !llvm::is_contained(frames_[f].exits, i))
      continue;
    frameDone[f] = true;
    std::vector<size_t> members;
    for (size_t k : order_)
      if (frameOf_[k] == f)
        members.push_back(k);
    if (llvm::Error err = runTf1Frame(*this, model_.nodes, frames_[f], members))
      return std::move(err);
  }
  if (llvm::Error err = finishFunction())
    return std::move(err);
  eraseDeadOps(func_);
  // Outputs of data-dependent length get their counts (docs/BOUNDED.md).
  if (llvm::Error err = import::finishBoundedResults(func_, [](Operation *op) {
        auto loc = dyn_cast<NameLoc>(op->getLoc());
        return "node '" + (loc ? loc.getName().str() : std::string("?")) + "'";
      }))
    return std::move(err);

  // A converter bug must not reach later phases as a crash: verify here.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(&context_, [&](Diagnostic &diag) {
      if (diagnostics.empty()) {
        llvm::raw_string_ostream os(diagnostics);
        os << diag.getLocation() << ": " << diag.str();
      }
      return success();
    });
    if (failed(verify(*module)))
      return makeError("internal error: the imported IR does not verify: " + diagnostics);
  }
  return std::move(module);
}

//===----------------------------------------------------------------------===//
// Selecting and ordering the nodes.
//===----------------------------------------------------------------------===//

llvm::Error GraphImporter::selectAndOrderNodes() {
  const auto &nodes = model_.nodes;
  // Backwards from the outputs: only what they need is imported, as TF.js
  // executes only that.
  std::vector<bool> needed(nodes.size(), false);
  std::vector<size_t> stack;
  for (const InterfaceTensor &out : outputs_) {
    size_t i = nodeIndex_.lookup(nodeOf(out.tensor));
    if (!needed[i]) {
      needed[i] = true;
      stack.push_back(i);
    }
  }
  std::vector<std::string> undefined, unsupported, strayPlaceholders;
  std::map<std::string, std::vector<std::string>> unsupportedOps; // op -> node names
  std::vector<std::string> unsupportedOrder;
  llvm::StringSet<> inputNodes;
  for (const InterfaceTensor &in : inputs_)
    inputNodes.insert(nodeOf(in.tensor));
  for (const auto &fixed : fixedInputs_)
    inputNodes.insert(nodeOf(fixed.first.tensor));
  while (!stack.empty()) {
    const TfNode &node = nodes[stack.back()];
    stack.pop_back();
    for (const std::string &input : node.inputs) {
      auto it = nodeIndex_.find(nodeOf(input));
      if (it == nodeIndex_.end()) {
        undefined.push_back(describeNode(node) + " reads '" + input + "'");
      } else if (!needed[it->second]) {
        needed[it->second] = true;
        stack.push_back(it->second);
      }
    }
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!needed[i])
      continue;
    const TfNode &node = nodes[i];
    if (node.op == "Placeholder") {
      if (!inputNodes.contains(node.name))
        strayPlaceholders.push_back(describeNode(node));
    } else if (node.op != "Const" && !tfjsOpTable().lookup(node.op)) {
      unsupported.push_back(node.name);
      unsupportedOps[node.op].push_back(node.name);
      if (unsupportedOps[node.op].size() == 1)
        unsupportedOrder.push_back(node.op);
    }
  }
  if (!unsupported.empty()) {
    // By op, in the order first met, with a count and the first node names.
    std::vector<std::string> groups;
    for (const std::string &op : unsupportedOrder) {
      const std::vector<std::string> &names = unsupportedOps[op];
      std::string group = op + " x" + std::to_string(names.size()) + " (";
      for (size_t k = 0; k < names.size() && k < 8; ++k)
        group += (k ? ", '" : "'") + names[k] + "'";
      if (names.size() > 8)
        group += ", and " + std::to_string(names.size() - 8) + " more";
      groups.push_back(group + ")");
    }
    return makeError("unsupported ops (" + llvm::Twine(unsupported.size()) + " nodes, " +
                     llvm::Twine(groups.size()) + " ops): " + joinList(groups));
  }
  if (!undefined.empty())
    return makeError("inputs that no node defines: " + joinList(undefined));
  if (!strayPlaceholders.empty())
    return makeError("placeholders that the outputs need but the signature does not list as "
                     "inputs: " +
                     joinList(strayPlaceholders));

  auto frames = findTf1Frames(nodes, nodeIndex_, needed);
  if (!frames)
    return frames.takeError();
  frames_ = std::move(*frames);
  frameOf_.assign(nodes.size(), -1);
  for (size_t f = 0; f < frames_.size(); ++f)
    for (size_t m : frames_[f].members)
      frameOf_[m] = f;

  // Kahn's algorithm, taking the earliest node in file order first so that
  // the IR follows the model's own order where it can. A TF1 loop's back
  // edges are left out, and its Exits wait for the rest of its frame.
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<size_t>> consumers(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!needed[i])
      continue;
    for (const std::string &input : nodes[i].inputs) {
      size_t p = nodeIndex_.lookup(nodeOf(input));
      if (isBackEdge(nodes[p], nodes[i]))
        continue;
      consumers[p].push_back(i);
      ++pending[i];
    }
  }
  for (const Tf1Frame &frame : frames_)
    for (size_t exit : frame.exits)
      for (size_t m : frame.members)
        if (nodes[m].op != "Exit") {
          consumers[m].push_back(exit);
          ++pending[exit];
        }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  size_t total = 0;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (needed[i]) {
      ++total;
      if (pending[i] == 0)
        ready.push(i);
    }
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order_.push_back(i);
    for (size_t c : consumers[i])
      if (--pending[c] == 0)
        ready.push(c);
  }
  if (order_.size() != total) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (needed[i] && pending[i] > 0)
        return makeError("the graph has a cycle through " + describeNode(nodes[i]) +
                         " outside a TF1 loop frame");
  }
  return llvm::Error::success();
}

} // namespace kiln::tfjs_import
