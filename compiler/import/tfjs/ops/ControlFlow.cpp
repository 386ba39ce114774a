//===- ControlFlow.cpp - TF2 If and While with function bodies -------------===//
//
// TF2 control flow names its branches and bodies as functions of the
// model's `modelTopology.library`. Shapes are static, so it is resolved at
// import, as for ONNX (compiler/import/onnx/ops/ControlFlow.cpp):
//  - If / StatelessIf with a condition known at import inlines the chosen
//    branch; with a run-time condition both branches are inlined and each
//    output is a tosa.select (the branches must give equal shapes).
//  - While / StatelessWhile unrolls while its `cond` function, run on the
//    loop variables, folds to a known value (a counter from a constant);
//    otherwise the error names the node.
// A function's nodes go through the same op table; its tensors are renamed
// under "<calling node>/<call>/" so that they never meet the graph's. TF1
// conds and loop frames are in Tf1ControlFlow.cpp and ../Tf1Frames.cpp.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/GraphImporter.h"
#include "compiler/import/tfjs/TosaHelpers.h"
#include "compiler/import/tfjs/ops/OpTable.h"
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
      // converters a function body can call.
      if (n.op == "Const")
        return node.fail(describe + ": unsupported op (constants inside functions are not "
                                    "imported yet)");
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
  auto thenOut = callFunction(node, *thenFn, thenName, args, prefix + "then/");
  if (!thenOut)
    return thenOut.takeError();
  auto elseOut = callFunction(node, *elseFn, elseName, args, prefix + "else/");
  if (!elseOut)
    return elseOut.takeError();
  if (thenOut->size() != elseOut->size())
    return node.fail("the branches return different numbers of outputs");
  Value cond = node.value(0);
  if (!typeOf(cond).getElementType().isInteger(1))
    cond = castElements(node.builder(), node.loc(), cond, node.builder().getI1Type());
  std::vector<ValueEntry> outputs;
  for (size_t i = 0; i < thenOut->size(); ++i) {
    auto ts = shapeOf((*thenOut)[i]), es = shapeOf((*elseOut)[i]);
    if (ts != es)
      return node.fail("the branches give output " + llvm::Twine(i) + " shapes " + shapeString(ts) +
                       " and " + shapeString(es) +
                       "; with a condition known only at run time Kiln needs them equal");
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
