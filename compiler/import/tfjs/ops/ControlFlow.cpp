//===- ControlFlow.cpp - TF2 If and While with function bodies -------------===//
//
// TF2 control flow names its branches and bodies as functions of the
// model's `modelTopology.library`. Shapes are static, so it is resolved at
// import where it can be, as for ONNX (compiler/import/onnx/ops/
// ControlFlow.cpp, docs/CONTROL_FLOW.md):
//  - If / StatelessIf with a condition known at import inlines the chosen
//    branch. With a run-time condition, branches of at most 4 elementwise
//    nodes are both inlined and each output is a tosa.select (they fuse
//    into the kernels around them); other branches become private
//    functions that the host code chooses between (kiln.if): only the
//    taken one runs. The branches must give equal shapes.
//  - While / StatelessWhile unrolls while its `cond` function, run on the
//    loop variables, folds to a known value (a counter from a constant);
//    otherwise the error names the node.
// A function's nodes go through the same op table; its tensors are renamed
// under "<calling node>/<call>/" so that they never meet the graph's. Its
// Const nodes read the model's weights by their own names, as TF.js's
// function executors share the model's weight map. TF1
// conds and loop frames are in Tf1ControlFlow.cpp and ../Tf1Frames.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/GraphImporter.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"
#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"
#include "nlohmann/json.hpp"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using json = nlohmann::ordered_json;

namespace kiln::tfjs_import {
namespace {

constexpr int64_t kMaxUnroll = 4096;

const json *findFunction(OpContext &node, llvm::StringRef attrName, std::string &name) {
  const json *attr = node.node().attr;
  if (!attr || !attr->contains(attrName.str()))
    return nullptr;
  const json &a = (*attr)[attrName.str()];
  if (!a.contains("func") || !a["func"].contains("name"))
    return nullptr;
  name = a["func"]["name"].get<std::string>();
  const json &root = *node.graph().model().root;
  if (!root.contains("modelTopology") || !root["modelTopology"].contains("library"))
    return nullptr;
  const json &library = root["modelTopology"]["library"];
  if (!library.contains("function"))
    return nullptr;
  for (const json &fn : library["function"])
    if (fn.contains("signature") && fn["signature"].value("name", "") == name)
      return &fn;
  return nullptr;
}

// "node:output_arg:2" (inside functions) and "node:2" both name output 2.
std::string outputIndex(const std::string &ref) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(ref).split(parts, ':');
  return parts.size() == 1 ? "0" : parts.back().str();
}

/// Imports function `fn` with its arguments bound to `args`; returns the
/// entries of its outputs in the signature's order.
llvm::Expected<std::vector<ValueEntry>> callFunction(OpContext &node, const json &fn,
                                                     llvm::StringRef fnName,
                                                     llvm::ArrayRef<ValueEntry> args,
                                                     llvm::StringRef prefix) {
  GraphImporter &graph = node.graph();
  const json &sig = fn["signature"];
  std::vector<std::string> argNames;
  if (sig.contains("inputArg"))
    for (const json &a : sig["inputArg"])
      argNames.push_back(a.value("name", ""));
  if (argNames.size() != args.size())
    return node.fail("function '" + fnName + "' takes " + llvm::Twine(argNames.size()) +
                     " arguments, given " + llvm::Twine(args.size()));
  llvm::StringSet<> argSet;
  for (size_t i = 0; i < args.size(); ++i) {
    graph.define((prefix + argNames[i] + ":0").str(), args[i]);
    argSet.insert(argNames[i]);
  }
  // A reference inside the function, renamed under the prefix.
  auto rename = [&](const std::string &ref) {
    std::string base = llvm::StringRef(ref).split(':').first.str();
    if (argSet.contains(base))
      return (prefix + base + ":0").str();
    return (prefix + base + ":" + outputIndex(ref)).str();
  };
  std::vector<TfNode> nodes;
  if (fn.contains("nodeDef"))
    for (const json &def : fn["nodeDef"]) {
      TfNode n;
      n.name = (prefix + def.value("name", "")).str();
      n.op = def.value("op", "");
      if (def.contains("input"))
        for (const json &in : def["input"]) {
          std::string ref = in.get<std::string>();
          if (!ref.empty() && ref[0] != '^')
            n.inputs.push_back(rename(ref));
        }
      if (def.contains("attr"))
        n.attr = &def["attr"];
      nodes.push_back(std::move(n));
    }
  // Function bodies are not stored in order: convert whatever is ready
  // until nothing is left.
  std::vector<bool> done(nodes.size(), false);
  for (size_t left = nodes.size(); left;) {
    size_t before = left;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const TfNode &n = nodes[i];
      if (done[i] ||
          llvm::any_of(n.inputs, [&](const std::string &in) { return !graph.lookup(in); }))
        continue;
      std::string describe = describeNode(n) + " in function '" + fnName.str() + "'";
      // Const and Placeholder are the importer's own (weights, inputs), not
      // converters. A Const is the weight of its own name (TF.js looks it
      // up in the model's weight map), defined under that name and, a copy
      // to materialise here, under the renamed one.
      if (n.op == "Const") {
        TfNode bare = n;
        bare.name = n.name.substr(prefix.size());
        if (llvm::Error err = graph.importNode(bare))
          return node.fail(describe + ": " + llvm::toString(std::move(err)));
        ValueEntry constant = *graph.lookup(bare.name + ":0");
        constant.value = Value();
        graph.define(n.name + ":0", constant);
        done[i] = true;
        --left;
        continue;
      }
      const OpInfo *info = tfjsOpTable().lookup(n.op);
      if (!info || n.op == "Placeholder")
        return node.fail(describe + ": unsupported op");
      int count = n.inputs.size();
      if (count < info->minInputs || (info->maxInputs >= 0 && count > info->maxInputs))
        return node.fail(describe + ": has " + llvm::Twine(count) + " inputs");
      OpContext ctx(graph, n, NameLoc::get(node.builder().getStringAttr(n.name)));
      llvm::Error err = info->convert(ctx);
      if (llvm::Error attrErr = ctx.attrs().takeError()) {
        llvm::consumeError(std::move(err));
        return node.fail(describe + ": " + llvm::toString(std::move(attrErr)));
      }
      if (err)
        return node.fail(describe + ": " + llvm::toString(std::move(err)));
      done[i] = true;
      --left;
    }
    if (left == before)
      return node.fail("function '" + fnName + "' reads tensors that none of its nodes computes");
  }
  std::vector<ValueEntry> outputs;
  if (sig.contains("outputArg"))
    for (const json &out : sig["outputArg"]) {
      std::string name = out.value("name", "");
      if (!fn.contains("ret") || !fn["ret"].contains(name))
        return node.fail("function '" + fnName + "' does not return '" + name + "'");
      ValueEntry *e = graph.lookup(rename(fn["ret"][name].get<std::string>()));
      if (!e)
        return node.fail("function '" + fnName + "' returns '" + name +
                         "', which it never computes");
      outputs.push_back(*e);
    }
  return outputs;
}

llvm::SmallVector<int64_t> shapeOf(const ValueEntry &e) {
  if (e.value)
    return llvm::SmallVector<int64_t>(typeOf(e.value).getShape());
  return llvm::SmallVector<int64_t>(e.literal->shape());
}

void defineOutputs(OpContext &node, llvm::ArrayRef<ValueEntry> outputs) {
  for (size_t i = 0; i < outputs.size(); ++i)
    node.graph().define(node.node().name + ":" + std::to_string(i), outputs[i]);
}

std::vector<ValueEntry> inputEntries(OpContext &node, int first) {
  std::vector<ValueEntry> entries;
  for (int i = first; i < node.numInputs(); ++i)
    entries.push_back(*node.graph().lookup(node.inputName(i)));
  return entries;
}

/// The functions that attributes `a` and `b` name (both must exist).
struct FunctionPair {
  const json *fn[2];
  std::string name[2];
};
llvm::Expected<FunctionPair> findFunctions(OpContext &node, llvm::StringRef a, llvm::StringRef b) {
  FunctionPair p;
  p.fn[0] = findFunction(node, a, p.name[0]);
  p.fn[1] = findFunction(node, b, p.name[1]);
  if (!p.fn[0] || !p.fn[1])
    return node.fail(a + " '" + p.name[0] + "' or " + b + " '" + p.name[1] +
                     "' is not a function of the model's library");
  return p;
}

// As the ONNX importer's rule (docs/CONTROL_FLOW.md): a branch of at most
// this many elementwise nodes is cheaper selected inside the kernels around
// it than run as its own kernels.
bool selectsBranches(const json &fn) {
  constexpr size_t kMaxSelectNodes = 4;
  static const llvm::StringSet<> elementwise = {
      "Identity", "Const", "Add",    "AddV2",   "Sub",        "Mul",        "RealDiv",
      "Neg",      "Abs",   "Relu",   "Relu6",   "Sigmoid",    "Tanh",       "Exp",
      "Log",      "Sqrt",  "Square", "Maximum", "Minimum",    "Select",     "SelectV2",
      "Cast",     "Equal", "Less",   "Greater", "LogicalNot", "LogicalAnd", "LogicalOr"};
  if (!fn.contains("nodeDef"))
    return true;
  if (fn["nodeDef"].size() > kMaxSelectNodes)
    return false;
  for (const json &def : fn["nodeDef"])
    if (!elementwise.contains(def.value("op", "")))
      return false;
  return true;
}

// The condition as one bool (TF's If takes any type: non-zero is true).
Value conditionValue(OpContext &node) {
  Value cond = node.value(0);
  if (!typeOf(cond).getElementType().isInteger(1))
    cond = castElements(node.builder(), node.loc(), cond, node.builder().getI1Type());
  return cond;
}

llvm::Error branchShapeError(OpContext &node, size_t i, llvm::ArrayRef<int64_t> ts,
                             llvm::ArrayRef<int64_t> es) {
  return node.fail("the branches give output " + llvm::Twine(i) + " shapes " + shapeString(ts) +
                   " and " + shapeString(es) +
                   "; with a condition known only at run time Kiln needs them equal");
}

/// A branch imported as a private function of the module, and the outer
/// values its arguments take (the If's inputs known only at run time; known
/// ones are copied in as constants).
struct Branch {
  func::FuncOp func;
  llvm::SmallVector<Value> captures;
};

std::string freshSymbol(ModuleOp module, const std::string &base) {
  std::string name = base;
  for (int n = 1; module.lookupSymbol(name); ++n)
    name = base + "_" + std::to_string(n);
  return name;
}

llvm::Expected<Branch> branchFunction(OpContext &node, const json &fn, llvm::StringRef fnName,
                                      llvm::ArrayRef<ValueEntry> args, llvm::StringRef role) {
  GraphImporter &graph = node.graph();
  OpBuilder &b = node.builder();
  b.getContext()->getOrLoadDialect<kiln::KilnDialect>();
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  std::string base = "body_";
  for (char c : node.node().name)
    base += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  Branch branch;
  branch.func = b.create<func::FuncOp>(node.loc(), freshSymbol(module, base + "_" + role.str()),
                                       b.getFunctionType({}, {}));
  branch.func.setPrivate();
  Block *entry = branch.func.addEntryBlock();
  std::vector<ValueEntry> inner;
  for (const ValueEntry &a : args) {
    if (a.literal) { // materialised inside the function on use
      inner.push_back(ValueEntry{Value(), a.literal, a.origin});
      continue;
    }
    branch.captures.push_back(a.value);
    inner.push_back(
        ValueEntry{entry->addArgument(a.value.getType(), node.loc()), std::nullopt, ""});
  }
  b.setInsertionPointToEnd(entry);
  std::string prefix = node.node().name + "/" + role.str() + "/";
  auto outputs = callFunction(node, fn, fnName, inner, prefix);
  if (!outputs) {
    branch.func.erase();
    return outputs.takeError();
  }
  llvm::SmallVector<Value> returned;
  for (size_t i = 0; i < outputs->size(); ++i)
    returned.push_back(graph.materialize((*outputs)[i], prefix + "output" + std::to_string(i)));
  b.create<func::ReturnOp>(node.loc(), returned);
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(entry->without_terminator())))
    if (isOpTriviallyDead(&op))
      op.erase();
  bool bounded = false;
  branch.func.walk([&](tosa::CustomOp op) { bounded = bounded || op.getDomainName() == "kiln"; });
  if (bounded) {
    branch.func.erase();
    return node.fail("branch '" + fnName +
                     "' computes a value whose length depends on the data "
                     "(docs/BOUNDED.md), which Kiln does not support inside a run-time branch");
  }
  branch.func.setFunctionType(
      b.getFunctionType(entry->getArgumentTypes(), ValueRange(returned).getTypes()));
  return branch;
}

// A run-time If whose branches are more than a few elementwise nodes:
// kiln.if over the two branch functions.
llvm::Error convertHostIf(OpContext &node, const FunctionPair &fns,
                          llvm::ArrayRef<ValueEntry> args) {
  auto thenBranch = branchFunction(node, *fns.fn[0], fns.name[0], args, "then");
  if (!thenBranch)
    return thenBranch.takeError();
  auto elseBranch = branchFunction(node, *fns.fn[1], fns.name[1], args, "else");
  if (!elseBranch)
    return elseBranch.takeError();
  TypeRange thenTypes = thenBranch->func.getResultTypes();
  TypeRange elseTypes = elseBranch->func.getResultTypes();
  if (thenTypes.size() != elseTypes.size())
    return node.fail("the branches return different numbers of outputs");
  for (size_t i = 0; i < thenTypes.size(); ++i) {
    auto t = cast<RankedTensorType>(thenTypes[i]), e = cast<RankedTensorType>(elseTypes[i]);
    if (t.getShape() != e.getShape())
      return branchShapeError(node, i, t.getShape(), e.getShape());
    if (t.getElementType() != e.getElementType())
      return node.fail("the branches give output " + llvm::Twine(i) + " different element types");
  }
  auto ifOp = node.builder().create<kiln::IfOp>(
      node.loc(), thenTypes, conditionValue(node), thenBranch->func.getSymName(),
      thenBranch->captures, elseBranch->func.getSymName(), elseBranch->captures);
  std::vector<ValueEntry> outputs;
  for (Value r : ifOp.getResults())
    outputs.push_back(ValueEntry{r, std::nullopt, ""});
  defineOutputs(node, outputs);
  return llvm::Error::success();
}

llvm::Error convertIf(OpContext &node) {
  auto fns = findFunctions(node, "then_branch", "else_branch");
  if (!fns)
    return fns.takeError();
  const json *thenFn = fns->fn[0], *elseFn = fns->fn[1];
  const std::string &thenName = fns->name[0], &elseName = fns->name[1];
  std::vector<ValueEntry> args = inputEntries(node, 1);
  std::string prefix = node.node().name + "/";
  if (const Literal *cond = node.literal(0)) {
    bool taken = cond->size() == 1 && cond->intAt(0) != 0;
    auto outputs = callFunction(node, taken ? *thenFn : *elseFn, taken ? thenName : elseName, args,
                                prefix + (taken ? "then/" : "else/"));
    if (!outputs)
      return outputs.takeError();
    defineOutputs(node, *outputs);
    return llvm::Error::success();
  }
  if (numElements(node.shape(0)) != 1)
    return node.fail("the condition must hold one element");
  if (!selectsBranches(*thenFn) || !selectsBranches(*elseFn))
    return convertHostIf(node, *fns, args);
  auto thenOut = callFunction(node, *thenFn, thenName, args, prefix + "then/");
  if (!thenOut)
    return thenOut.takeError();
  auto elseOut = callFunction(node, *elseFn, elseName, args, prefix + "else/");
  if (!elseOut)
    return elseOut.takeError();
  if (thenOut->size() != elseOut->size())
    return node.fail("the branches return different numbers of outputs");
  Value cond = conditionValue(node);
  std::vector<ValueEntry> outputs;
  for (size_t i = 0; i < thenOut->size(); ++i) {
    auto ts = shapeOf((*thenOut)[i]), es = shapeOf((*elseOut)[i]);
    if (ts != es)
      return branchShapeError(node, i, ts, es);
    Value t = node.graph().materialize((*thenOut)[i], node.node().name + "/then");
    Value e = node.graph().materialize((*elseOut)[i], node.node().name + "/else");
    Value c = reshape(node.builder(), node.loc(), cond, llvm::SmallVector<int64_t>(ts.size(), 1));
    outputs.push_back(ValueEntry{select(node.builder(), node.loc(), c, t, e), std::nullopt, ""});
  }
  defineOutputs(node, outputs);
  return llvm::Error::success();
}

llvm::Error convertWhile(OpContext &node) {
  auto fns = findFunctions(node, "cond", "body");
  if (!fns)
    return fns.takeError();
  const json *condFn = fns->fn[0], *bodyFn = fns->fn[1];
  const std::string &condName = fns->name[0], &bodyName = fns->name[1];
  std::vector<ValueEntry> vars = inputEntries(node, 0);
  std::string prefix = node.node().name + "/";
  for (int64_t i = 0;; ++i) {
    auto cond = callFunction(node, *condFn, condName, vars, prefix + std::to_string(i) + "/cond/");
    if (!cond)
      return cond.takeError();
    if (cond->size() != 1 || !(*cond)[0].literal)
      return node.fail("the loop condition '" + condName +
                       "' depends on run-time data; Kiln unrolls loops whose trip count is known "
                       "at compile time");
    if (!(*cond)[0].literal->intAt(0))
      break;
    if (i >= kMaxUnroll)
      return node.fail("the loop runs more than " + llvm::Twine(kMaxUnroll) +
                       " iterations, more than Kiln unrolls");
    auto next = callFunction(node, *bodyFn, bodyName, vars, prefix + std::to_string(i) + "/body/");
    if (!next)
      return next.takeError();
    if (next->size() != vars.size())
      return node.fail("the body returns " + llvm::Twine(next->size()) + " values for " +
                       llvm::Twine(vars.size()) + " loop variables");
    for (size_t k = 0; k < vars.size(); ++k)
      if (shapeOf((*next)[k]) != shapeOf(vars[k]))
        return node.fail("loop variable " + llvm::Twine(k) + " changes shape from " +
                         shapeString(shapeOf(vars[k])) + " to " + shapeString(shapeOf((*next)[k])) +
                         "; Kiln needs shapes that stay static across iterations");
    vars = std::move(*next);
  }
  defineOutputs(node, vars);
  return llvm::Error::success();
}

} // namespace

void registerControlFlowOps(OpTable &table) {
  table.add("If", convertIf, 1, -1);
  table.add("StatelessIf", convertIf, 1, -1);
  table.add("While", convertWhile, 0, -1);
  table.add("StatelessWhile", convertWhile, 0, -1);
}

} // namespace kiln::tfjs_import
