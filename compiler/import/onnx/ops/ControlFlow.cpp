//===- ControlFlow.cpp - If, Loop, Scan ------------------------------------===//
//
// Kiln compiles a model ahead of time with static shapes, so control flow is
// resolved at import where it can be:
//  - If with a condition known at import inlines the chosen branch. With a
//    run-time condition, branches of a few elementwise nodes are both
//    inlined and each output is a tosa.select on the condition (they fuse
//    into the kernels around them); other branches become functions that
//    the host code chooses between (kiln.if, HostControl.cpp).
//  - Loop unrolls its body when the trip count and the condition are known
//    at import (the condition the body computes included) and it runs at
//    most kMaxUnroll times; otherwise the host code loops over the body as
//    a function (kiln.loop, HostControl.cpp).
//  - Scan (opset 8 with its batch axis, and 9+) unrolls over the scan axis,
//    which is static.
// A subgraph is imported inline into @main: its nodes go through the same
// op table, reading outer values by name; names it defines shadow the outer
// ones only while it is imported.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/ops/ControlFlow.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "onnx/onnx_pb.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

// Unrolling copies the body once per iteration: beyond this many, a model is
// better served by a loop in the host code.
constexpr int64_t kMaxUnroll = 4096;

constexpr int32_t kOnnxInt64 = 7, kOnnxBool = 9;

const onnx::GraphProto *graphAttr(OpContext &op, llvm::StringRef name) {
  const onnx::AttributeProto *a = op.attr(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

std::string nodeName(const onnx::NodeProto &node) {
  return node.name().empty() && node.output_size() ? node.output(0) : node.name();
}

} // namespace

llvm::Expected<std::vector<ValueEntry>> inlineGraph(OpContext &op, const onnx::GraphProto &body,
                                                    llvm::ArrayRef<ValueEntry> inputs) {
  GraphImporter &graph = op.graph();
  if (body.input_size() != static_cast<int>(inputs.size()))
    return op.fail("the body '" + body.name() + "' has " + llvm::Twine(body.input_size()) +
                   " inputs, expected " + llvm::Twine(inputs.size()));
  // The outer entries of every name the body defines, restored afterwards.
  std::vector<std::pair<std::string, std::optional<ValueEntry>>> saved;
  auto bind = [&](const std::string &name, ValueEntry entry) {
    ValueEntry *outer = graph.lookup(name);
    saved.emplace_back(name, outer ? std::optional<ValueEntry>(*outer) : std::nullopt);
    graph.define(name, std::move(entry));
  };
  for (int i = 0; i < body.input_size(); ++i)
    bind(body.input(i).name(), inputs[i]);
  for (const auto &init : body.initializer()) {
    auto literal = Literal::fromTensorProto(init, graph.modelDir());
    if (!literal)
      return literal.takeError();
    bind(init.name(), ValueEntry{Value(), std::move(*literal)});
  }
  auto restore = [&] {
    for (auto &[name, entry] : llvm::reverse(saved))
      if (entry)
        graph.define(name, *entry);
  };
  for (const auto &node : body.node()) {
    std::string describe = "node '" + nodeName(node) + "' (op " + node.op_type() +
                           ") in the body '" + body.name() + "'";
    ConvertFn convert = onnxOpTable().lookup(node.op_type());
    if (!convert || !(node.domain().empty() || node.domain() == "ai.onnx")) {
      restore();
      return op.fail(describe + ": unsupported op");
    }
    for (const auto &output : node.output())
      if (!output.empty()) {
        ValueEntry *outer = graph.lookup(output);
        saved.emplace_back(output, outer ? std::optional<ValueEntry>(*outer) : std::nullopt);
      }
    OpContext inner(graph, node, NameLoc::get(op.builder().getStringAttr(nodeName(node))));
    // The check importNode makes on top-level nodes: a body's Add of float
    // and uint8 was an internal error (found by the onnx-text fuzz target).
    if (llvm::Error err = graph.checkTypeParameters(node, inner)) {
      restore();
      return op.fail("in the body '" + body.name() + "': " + llvm::toString(std::move(err)));
    }
    if (llvm::Error err = convert(inner)) {
      restore();
      return op.fail(describe + ": " + llvm::toString(std::move(err)));
    }
  }
  std::vector<ValueEntry> outputs;
  for (const auto &output : body.output()) {
    ValueEntry *entry = graph.lookup(output.name());
    if (!entry) {
      restore();
      return op.fail("the body '" + body.name() + "' does not compute its output '" +
                     output.name() + "'");
    }
    outputs.push_back(*entry);
  }
  restore();
  return outputs;
}

namespace {

llvm::Expected<Value> valueOf(OpContext &op, ValueEntry entry, llvm::StringRef name) {
  return op.graph().materialize(entry, name, op.loc());
}

llvm::SmallVector<int64_t> shapeOf(const ValueEntry &e) {
  if (e.value)
    return llvm::SmallVector<int64_t>(typeOf(e.value).getShape());
  return llvm::SmallVector<int64_t>(e.literal->shape());
}

/// Output `i` of the node is `entry` (value, known contents or both).
void defineOutput(OpContext &op, int i, ValueEntry entry) {
  if (op.hasOutput(i))
    op.graph().define(op.node().output(i), std::move(entry));
}

/// `parts` (one per iteration, equal shapes) stacked along a new `axis`.
llvm::Expected<Value> stack(OpContext &op, llvm::ArrayRef<ValueEntry> parts, int64_t axis,
                            llvm::StringRef what) {
  if (parts.empty())
    return op.fail("the loop runs zero times, so " + what + " would be empty");
  llvm::SmallVector<int64_t> shape = shapeOf(parts[0]);
  llvm::SmallVector<Value> values;
  for (const ValueEntry &part : parts) {
    if (shapeOf(part) != shape)
      return op.fail(what + " changes shape across iterations (" + shapeString(shape) + " then " +
                     shapeString(shapeOf(part)) + "); Kiln needs shapes that stay static");
    auto v = valueOf(op, part, what);
    if (!v)
      return v.takeError();
    llvm::SmallVector<int64_t> withAxis(shape);
    withAxis.insert(withAxis.begin() + axis, 1);
    values.push_back(reshape(op.builder(), op.loc(), *v, withAxis));
  }
  return concat(op.builder(), op.loc(), values, axis);
}

llvm::Error convertIf(OpContext &op) {
  const onnx::GraphProto *thenBody = graphAttr(op, "then_branch");
  const onnx::GraphProto *elseBody = graphAttr(op, "else_branch");
  if (!thenBody || !elseBody)
    return op.fail("If needs then_branch and else_branch graphs");
  if (thenBody->output_size() != op.numOutputs() || elseBody->output_size() != op.numOutputs())
    return op.fail("the branches must have one output per output of the If");
  if (const Literal *cond = op.literal(0)) {
    if (cond->size() != 1)
      return op.fail("the condition must hold one element");
    auto outputs = inlineGraph(op, cond->intAt(0) ? *thenBody : *elseBody, {});
    if (!outputs)
      return outputs.takeError();
    for (size_t i = 0; i < outputs->size(); ++i)
      defineOutput(op, i, (*outputs)[i]);
    return llvm::Error::success();
  }
  if (numElements(op.shape(0)) != 1)
    return op.fail("the condition must hold one element");
  if (!selectsBranches(*thenBody, *elseBody))
    return convertHostIf(op, *thenBody, *elseBody);
  auto thenOut = inlineGraph(op, *thenBody, {});
  if (!thenOut)
    return thenOut.takeError();
  auto elseOut = inlineGraph(op, *elseBody, {});
  if (!elseOut)
    return elseOut.takeError();
  Value cond = op.value(0);
  for (int i = 0; i < op.numOutputs(); ++i) {
    llvm::SmallVector<int64_t> ts = shapeOf((*thenOut)[i]), es = shapeOf((*elseOut)[i]);
    if (ts != es)
      return op.fail("the branches give output " + llvm::Twine(i) + " shapes " + shapeString(ts) +
                     " and " + shapeString(es) +
                     "; with a condition known only at run time Kiln needs them equal");
    auto t = valueOf(op, (*thenOut)[i], thenBody->output(i).name());
    if (!t)
      return t.takeError();
    auto e = valueOf(op, (*elseOut)[i], elseBody->output(i).name());
    if (!e)
      return e.takeError();
    if (typeOf(*t).getElementType() != typeOf(*e).getElementType())
      return op.fail("the branches give output " + llvm::Twine(i) + " different element types");
    Value c = reshape(op.builder(), op.loc(), cond, llvm::SmallVector<int64_t>(ts.size(), 1));
    defineOutput(op, i, ValueEntry{select(op.builder(), op.loc(), c, *t, *e), std::nullopt});
  }
  return llvm::Error::success();
}

llvm::Error convertLoop(OpContext &op) {
  const onnx::GraphProto *body = graphAttr(op, "body");
  if (!body)
    return op.fail("Loop needs a body graph");
  int numCarried = op.numInputs() - 2;
  if (numCarried < 0 || body->output_size() < 1 + numCarried)
    return op.fail("the body must output the condition and every loop-carried value");
  int numScans = body->output_size() - 1 - numCarried;
  // A trip count or condition known only at run time: the host loops.
  if ((op.hasInput(0) && !op.literal(0)) || (op.hasInput(1) && !op.literal(1)))
    return convertHostLoop(op, *body);
  std::optional<int64_t> tripCount;
  if (op.hasInput(0))
    tripCount = op.literal(0)->intAt(0);
  bool cond = !op.hasInput(1) || op.literal(1)->intAt(0) != 0;
  // Beyond kMaxUnroll iterations the host loops too.
  if (tripCount && *tripCount > kMaxUnroll)
    return convertHostLoop(op, *body);
  if (!tripCount && !op.hasInput(1))
    return op.fail("a Loop with neither trip count nor condition never ends");
  std::vector<ValueEntry> carried;
  for (int i = 0; i < numCarried; ++i) {
    ValueEntry *e = op.graph().lookup(op.inputName(2 + i));
    if (!e)
      return op.fail("input '" + op.inputName(2 + i) + "' is not defined");
    carried.push_back(*e);
  }
  std::vector<std::vector<ValueEntry>> scans(numScans);
  int64_t i = 0;
  for (; cond && (!tripCount || i < *tripCount); ++i) {
    // (A known trip count above kMaxUnroll went to the host above: this is
    // a condition known at import that stays true.)
    if (i >= kMaxUnroll)
      return op.fail("the loop runs more than " + llvm::Twine(kMaxUnroll) +
                     " iterations on a condition known at compile time");
    std::vector<ValueEntry> inputs = {ValueEntry{Value(), Literal::fromInts(kOnnxInt64, {}, {i})},
                                      ValueEntry{Value(), Literal::fromInts(kOnnxBool, {}, {1})}};
    inputs.insert(inputs.end(), carried.begin(), carried.end());
    auto outputs = inlineGraph(op, *body, inputs);
    if (!outputs)
      return outputs.takeError();
    const ValueEntry &condOut = (*outputs)[0];
    // A condition the body computes from run-time data: the host loops
    // (what was unrolled so far is dead and dropped).
    if (!condOut.literal)
      return convertHostLoop(op, *body);
    cond = condOut.literal->intAt(0) != 0;
    for (int k = 0; k < numCarried; ++k) {
      if (shapeOf((*outputs)[1 + k]) != shapeOf(carried[k]))
        return op.fail("loop-carried value '" + body->output(1 + k).name() +
                       "' changes shape from " + shapeString(shapeOf(carried[k])) + " to " +
                       shapeString(shapeOf((*outputs)[1 + k])) +
                       "; Kiln needs shapes that stay static across iterations");
      carried[k] = (*outputs)[1 + k];
    }
    for (int k = 0; k < numScans; ++k)
      scans[k].push_back((*outputs)[1 + numCarried + k]);
  }
  for (int k = 0; k < numCarried; ++k)
    defineOutput(op, k, carried[k]);
  for (int k = 0; k < numScans; ++k) {
    auto v =
        stack(op, scans[k], 0, "scan output '" + body->output(1 + numCarried + k).name() + "'");
    if (!v)
      return v.takeError();
    defineOutput(op, numCarried + k, ValueEntry{*v, std::nullopt});
  }
  return llvm::Error::success();
}

/// The opset 9+ Scan over values without a batch axis: final states, then
/// the scan outputs.
llvm::Expected<std::vector<ValueEntry>>
scanCore(OpContext &op, const onnx::GraphProto &body, std::vector<ValueEntry> states,
         llvm::ArrayRef<Value> scanInputs, llvm::ArrayRef<int64_t> inAxes,
         llvm::ArrayRef<int64_t> inDirs, llvm::ArrayRef<int64_t> outAxes,
         llvm::ArrayRef<int64_t> outDirs) {
  int numStates = states.size();
  int numOut = body.output_size() - numStates;
  if (numOut < 0)
    return op.fail("the body must output every state");
  int64_t length = -1;
  for (size_t k = 0; k < scanInputs.size(); ++k) {
    int64_t n = typeOf(scanInputs[k]).getDimSize(inAxes[k]);
    if (length >= 0 && n != length)
      return op.fail("the scan inputs have different lengths (" + llvm::Twine(length) + " and " +
                     llvm::Twine(n) + ")");
    length = n;
  }
  if (length < 0)
    return op.fail("Scan needs at least one scan input");
  if (length > kMaxUnroll)
    return op.fail("the scan runs " + llvm::Twine(length) +
                   " iterations, more than Kiln unrolls (" + llvm::Twine(kMaxUnroll) + ")");
  std::vector<std::vector<ValueEntry>> outs(numOut);
  for (int64_t t = 0; t < length; ++t) {
    std::vector<ValueEntry> inputs = states;
    for (size_t k = 0; k < scanInputs.size(); ++k) {
      Value x = scanInputs[k];
      llvm::SmallVector<int64_t> start(typeOf(x).getRank(), 0), size(typeOf(x).getShape());
      start[inAxes[k]] = inDirs[k] ? length - 1 - t : t;
      size[inAxes[k]] = 1;
      Value element = slice(op.builder(), op.loc(), x, start, size);
      size.erase(size.begin() + inAxes[k]);
      inputs.push_back(ValueEntry{reshape(op.builder(), op.loc(), element, size), std::nullopt});
    }
    auto outputs = inlineGraph(op, body, inputs);
    if (!outputs)
      return outputs.takeError();
    for (int k = 0; k < numStates; ++k) {
      if (shapeOf((*outputs)[k]) != shapeOf(states[k]))
        return op.fail("state '" + body.output(k).name() +
                       "' changes shape; Kiln needs shapes "
                       "that stay static across iterations");
      states[k] = (*outputs)[k];
    }
    for (int k = 0; k < numOut; ++k)
      outs[k].push_back((*outputs)[numStates + k]);
  }
  std::vector<ValueEntry> results = states;
  for (int k = 0; k < numOut; ++k) {
    if (outDirs[k])
      std::reverse(outs[k].begin(), outs[k].end());
    auto v =
        stack(op, outs[k], outAxes[k], "scan output '" + body.output(numStates + k).name() + "'");
    if (!v)
      return v.takeError();
    results.push_back(ValueEntry{*v, std::nullopt});
  }
  return results;
}

/// An attribute list of `count` axes or directions (default 0), axes
/// normalised against `ranks`.
llvm::Expected<std::vector<int64_t>> perScan(OpContext &op, llvm::StringRef name, size_t count,
                                             llvm::ArrayRef<int64_t> ranks) {
  std::vector<int64_t> v = op.attrInts(name);
  if (v.empty())
    v.assign(count, 0);
  if (v.size() != count)
    return op.fail(name + " has " + llvm::Twine(v.size()) + " entries, expected " +
                   llvm::Twine(count));
  if (!ranks.empty())
    for (size_t k = 0; k < count; ++k) {
      auto axis = op.normalizeAxis(v[k], ranks[k]);
      if (!axis)
        return axis.takeError();
      v[k] = *axis;
    }
  return v;
}

llvm::Error convertScan(OpContext &op) {
  const onnx::GraphProto *body = graphAttr(op, "body");
  if (!body)
    return op.fail("Scan needs a body graph");
  int64_t numScanInputs = op.attrInt("num_scan_inputs", 0);
  bool batched = op.opset() < 9; // opset 8: sequence_lens first, axis 0 is a batch
  int first = batched ? 1 : 0;
  int numStates = op.numInputs() - first - numScanInputs;
  if (numScanInputs < 1 || numStates < 0)
    return op.fail("num_scan_inputs must be between 1 and the number of inputs");
  if (batched && op.hasInput(0))
    return op.fail("sequence_lens is not supported (every sequence must have the full length)");
  int numOut = body->output_size() - numStates;
  llvm::SmallVector<int64_t> inRanks, outRanks;
  for (int k = 0; k < numScanInputs; ++k)
    inRanks.push_back(op.rank(first + numStates + k) - (batched ? 1 : 0));
  for (int k = 0; k < numOut; ++k) {
    const auto &t = body->output(numStates + k).type().tensor_type();
    outRanks.push_back(t.shape().dim_size() + 1);
  }
  auto inAxes = batched ? std::vector<int64_t>(numScanInputs, 0)
                        : perScan(op, "scan_input_axes", numScanInputs, inRanks);
  if (!inAxes)
    return inAxes.takeError();
  auto inDirs = perScan(op, batched ? "directions" : "scan_input_directions", numScanInputs, {});
  if (!inDirs)
    return inDirs.takeError();
  auto outAxes =
      batched ? std::vector<int64_t>(numOut, 0) : perScan(op, "scan_output_axes", numOut, outRanks);
  if (!outAxes)
    return outAxes.takeError();
  auto outDirs =
      batched ? std::vector<int64_t>(numOut, 0) : perScan(op, "scan_output_directions", numOut, {});
  if (!outDirs)
    return outDirs.takeError();

  OpBuilder &b = op.builder();
  Location loc = op.loc();
  int64_t batch = batched ? op.shape(first)[0] : 1;
  std::vector<std::vector<ValueEntry>> perBatch;
  for (int64_t n = 0; n < batch; ++n) {
    // Batch entry n of an input (opset 8), or the input itself.
    auto entry = [&](int i) -> Value {
      Value v = op.value(i);
      if (!batched)
        return v;
      llvm::SmallVector<int64_t> start(op.rank(i), 0), size(op.shape(i));
      start[0] = n;
      size[0] = 1;
      return reshape(b, loc, slice(b, loc, v, start, size), llvm::ArrayRef(size).drop_front());
    };
    std::vector<ValueEntry> states;
    for (int k = 0; k < numStates; ++k) {
      if (!batched)
        if (ValueEntry *e = op.graph().lookup(op.inputName(first + k))) {
          states.push_back(*e);
          continue;
        }
      states.push_back(ValueEntry{entry(first + k), std::nullopt});
    }
    llvm::SmallVector<Value> scans;
    for (int k = 0; k < numScanInputs; ++k)
      scans.push_back(entry(first + numStates + k));
    auto results = scanCore(op, *body, states, scans, *inAxes, *inDirs, *outAxes, *outDirs);
    if (!results)
      return results.takeError();
    perBatch.push_back(std::move(*results));
  }
  for (int k = 0; k < numStates + numOut; ++k) {
    if (!batched) {
      defineOutput(op, k, perBatch[0][k]);
      continue;
    }
    std::vector<ValueEntry> parts;
    for (auto &results : perBatch)
      parts.push_back(results[k]);
    auto v = stack(op, parts, 0, "output '" + body->output(k).name() + "'");
    if (!v)
      return v.takeError();
    defineOutput(op, k, ValueEntry{*v, std::nullopt});
  }
  return llvm::Error::success();
}

} // namespace

void registerControlFlowOps(OpTable &table) {
  table.add("If", convertIf);
  table.add("Loop", convertLoop);
  table.add("Scan", convertScan);
}

} // namespace kiln::onnx_import
