//===- HostControl.cpp - If and Loop left to run time ----------------------===//
//
// An If whose condition, or a Loop whose trip count or condition, is known
// only at run time is compiled for the host code to choose or repeat
// (docs/CONTROL_FLOW.md): each body is imported into a private func.func of
// the module, which the later phases cut into kernels like @main, and @main
// holds a kiln.if or kiln.loop naming it. Outer values a body reads enter
// its function as arguments (the captures), after the body's own inputs;
// outer values known at import are copied in as constants instead.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/TosaHelpers.h"
#include "compiler/import/onnx/ops/ControlFlow.h"
#include "dialects/kiln/KilnDialect.h"
#include "dialects/kiln/KilnOps.h"
#include "mlir/IR/SymbolTable.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace kiln::onnx_import {
namespace {

/// A body imported as a function, and the outer values its captured
/// arguments take, in order.
struct BodyFunction {
  func::FuncOp func;
  llvm::SmallVector<Value> captures;
};

/// Every value name that `graph`'s nodes read (nested bodies included), and
/// every name it defines (inputs, initializers, node outputs).
void collectNames(const onnx::GraphProto &graph, llvm::StringSet<> &reads,
                  llvm::StringSet<> &defines) {
  for (const auto &input : graph.input())
    defines.insert(input.name());
  for (const auto &init : graph.initializer())
    defines.insert(init.name());
  for (const auto &node : graph.node()) {
    for (const auto &input : node.input())
      if (!input.empty())
        reads.insert(input);
    for (const auto &output : node.output())
      defines.insert(output);
    for (const auto &attr : node.attribute()) {
      if (attr.has_g())
        collectNames(attr.g(), reads, defines);
      for (const auto &g : attr.graphs())
        collectNames(g, reads, defines);
    }
  }
  for (const auto &output : graph.output())
    reads.insert(output.name());
}

/// A symbol name not yet taken in `module`: `base`, or `base_<n>`.
std::string freshSymbol(ModuleOp module, const std::string &base) {
  std::string name = base;
  for (int n = 1; module.lookupSymbol(name); ++n)
    name = base + "_" + std::to_string(n);
  return name;
}

std::string symbolBase(OpContext &op, llvm::StringRef role) {
  std::string base = "body_";
  for (char c : op.name())
    base += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return base + "_" + role.str();
}

/// Imports `body` into a new private function whose first arguments,
/// `leading`, bind to the body's inputs.
llvm::Expected<BodyFunction> importBodyFunction(OpContext &op, const onnx::GraphProto &body,
                                                llvm::ArrayRef<Type> leading,
                                                llvm::StringRef role) {
  if (body.input_size() != static_cast<int>(leading.size()))
    return op.fail("the body '" + body.name() + "' has " + llvm::Twine(body.input_size()) +
                   " inputs, expected " + llvm::Twine(leading.size()));
  GraphImporter &graph = op.graph();
  OpBuilder &b = op.builder();
  b.getContext()->getOrLoadDialect<kiln::KilnDialect>();
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  BodyFunction result;
  result.func = b.create<func::FuncOp>(op.loc(), freshSymbol(module, symbolBase(op, role)),
                                       b.getFunctionType(leading, {}));
  result.func.setPrivate();
  Block *entry = result.func.addEntryBlock();

  // Outer names the body reads, rebound for the import: known contents as
  // they are (materialised inside the function on use), values as new
  // arguments. The outer entries are restored afterwards untouched, so no
  // value of the body's function leaks into the outer graph.
  // (A name the body defines is its own, even where an earlier import left
  // an entry of that name behind.)
  llvm::StringSet<> reads, defines;
  collectNames(body, reads, defines);
  for (const auto &name : defines)
    reads.erase(name.getKey());
  std::vector<std::pair<std::string, ValueEntry>> saved;
  for (const auto &read : reads) {
    ValueEntry *outer = graph.lookup(read.getKey());
    if (!outer)
      continue;
    saved.emplace_back(read.getKey().str(), *outer);
    if (outer->literal) {
      graph.define(read.getKey(), ValueEntry{Value(), outer->literal});
      continue;
    }
    result.captures.push_back(outer->value);
    BlockArgument arg = entry->addArgument(outer->value.getType(), op.loc());
    graph.define(read.getKey(), ValueEntry{arg, std::nullopt});
  }
  auto restore = [&] {
    for (auto &[name, entryValue] : saved)
      graph.define(name, entryValue);
  };

  b.setInsertionPointToEnd(entry);
  std::vector<ValueEntry> inputs;
  for (unsigned i = 0; i < leading.size(); ++i)
    inputs.push_back(ValueEntry{entry->getArgument(i), std::nullopt});
  auto outputs = inlineGraph(op, body, inputs);
  if (!outputs) {
    restore();
    result.func.erase();
    return outputs.takeError();
  }
  llvm::SmallVector<Value> returned;
  for (auto [i, out] : llvm::enumerate(*outputs)) {
    auto v = graph.materialize(out, body.output(i).name(), op.loc());
    if (!v) {
      restore();
      result.func.erase();
      return v.takeError();
    }
    returned.push_back(*v);
  }
  restore();
  b.create<func::ReturnOp>(op.loc(), returned);
  for (Operation &dead : llvm::make_early_inc_range(llvm::reverse(entry->without_terminator())))
    if (isOpTriviallyDead(&dead))
      dead.erase();
  result.func.setFunctionType(
      b.getFunctionType(entry->getArgumentTypes(), ValueRange(returned).getTypes()));
  return result;
}

/// ONNX ops that convert to elementwise TOSA and fuse with their neighbours.
bool isElementwiseNode(const onnx::NodeProto &node) {
  static const llvm::StringSet<> ops = {
      "Identity", "Constant", "Add", "Sub", "Mul",   "Div",  "Neg",    "Abs",  "Relu",
      "Sigmoid",  "Tanh",     "Exp", "Log", "Sqrt",  "Max",  "Min",    "Clip", "Where",
      "Cast",     "Not",      "And", "Or",  "Equal", "Less", "Greater"};
  return ops.contains(node.op_type());
}

/// The element count of a value that must hold one (a condition, a trip
/// count), or an error naming it.
llvm::Error checkScalar(OpContext &op, int i, llvm::StringRef what) {
  if (numElements(op.shape(i)) != 1)
    return op.fail(what + " '" + op.inputName(i) + "' must hold one element, it has shape " +
                   shapeString(op.shape(i)));
  return llvm::Error::success();
}

} // namespace

// The rule (docs/CONTROL_FLOW.md): select when both branches are at most
// this many elementwise nodes; the select then costs a few vector ops
// inside the kernel around it, a host branch at least one kernel per branch.
bool selectsBranches(const onnx::GraphProto &thenBody, const onnx::GraphProto &elseBody) {
  constexpr int kMaxSelectNodes = 4;
  for (const onnx::GraphProto *g : {&thenBody, &elseBody}) {
    if (g->node_size() > kMaxSelectNodes)
      return false;
    for (const auto &node : g->node())
      if (!isElementwiseNode(node))
        return false;
  }
  return true;
}

llvm::Error convertHostIf(OpContext &op, const onnx::GraphProto &thenBody,
                          const onnx::GraphProto &elseBody) {
  if (llvm::Error err = checkScalar(op, 0, "the condition"))
    return err;
  auto thenFn = importBodyFunction(op, thenBody, {}, "then");
  if (!thenFn)
    return thenFn.takeError();
  auto elseFn = importBodyFunction(op, elseBody, {}, "else");
  if (!elseFn)
    return elseFn.takeError();
  TypeRange thenTypes = thenFn->func.getResultTypes(), elseTypes = elseFn->func.getResultTypes();
  for (int i = 0; i < op.numOutputs(); ++i) {
    auto t = cast<RankedTensorType>(thenTypes[i]), e = cast<RankedTensorType>(elseTypes[i]);
    if (t.getShape() != e.getShape())
      return op.fail("the branches give output " + llvm::Twine(i) + " shapes " +
                     shapeString(t.getShape()) + " and " + shapeString(e.getShape()) +
                     "; with a condition known only at run time Kiln needs them equal");
    if (t.getElementType() != e.getElementType())
      return op.fail("the branches give output " + llvm::Twine(i) + " different element types");
  }
  auto ifOp = op.builder().create<kiln::IfOp>(op.loc(), thenTypes, op.value(0),
                                              thenFn->func.getSymName(), thenFn->captures,
                                              elseFn->func.getSymName(), elseFn->captures);
  for (int i = 0; i < op.numOutputs(); ++i)
    if (op.hasOutput(i))
      op.setValue(i, ifOp.getResult(i));
  return llvm::Error::success();
}

llvm::Error convertHostLoop(OpContext &op, const onnx::GraphProto &body) {
  OpBuilder &b = op.builder();
  int numCarried = op.numInputs() - 2;
  int numScans = body.output_size() - 1 - numCarried;
  if (op.hasInput(0))
    if (llvm::Error err = checkScalar(op, 0, "the trip count"))
      return err;
  if (op.hasInput(1))
    if (llvm::Error err = checkScalar(op, 1, "the condition"))
      return err;
  llvm::SmallVector<Type> leading = {RankedTensorType::get({}, b.getI64Type()),
                                     RankedTensorType::get({}, b.getI1Type())};
  llvm::SmallVector<Value> carried;
  for (int k = 0; k < numCarried; ++k) {
    carried.push_back(op.value(2 + k));
    leading.push_back(carried.back().getType());
  }
  auto fn = importBodyFunction(op, body, leading, "loop");
  if (!fn)
    return fn.takeError();
  TypeRange results = fn->func.getResultTypes();
  auto condType = cast<RankedTensorType>(results[0]);
  if (numElements(condType.getShape()) != 1 || !condType.getElementType().isInteger(1))
    return op.fail("the body's condition '" + body.output(0).name() + "' must be one bool");
  llvm::SmallVector<Type> types;
  for (int k = 0; k < numCarried; ++k) {
    if (results[1 + k] != leading[2 + k])
      return op.fail("loop-carried value '" + body.output(1 + k).name() + "' changes type from " +
                     shapeString(cast<RankedTensorType>(leading[2 + k]).getShape()) + " to " +
                     shapeString(cast<RankedTensorType>(results[1 + k]).getShape()) +
                     "; Kiln needs shapes that stay static across iterations");
    types.push_back(results[1 + k]);
  }
  // A scan output's length is the number of iterations: the host writes
  // each iteration's element at its index, so the buffer needs a static
  // length, which the model's declared shape gives (the run must then give
  // exactly that many, the host checks).
  std::optional<int64_t> staticTrips;
  if (const Literal *m = op.hasInput(0) ? op.literal(0) : nullptr; m && !op.hasInput(1))
    staticTrips = m->intAt(0);
  for (int k = 0; k < numScans; ++k) {
    auto element = cast<RankedTensorType>(results[1 + numCarried + k]);
    std::string name = op.node().output_size() > numCarried + k
                           ? op.node().output(numCarried + k)
                           : body.output(1 + numCarried + k).name();
    llvm::SmallVector<int64_t> shape(element.getShape());
    std::optional<llvm::SmallVector<int64_t>> declared = op.graph().declaredShape(name);
    if (declared && !declared->empty() &&
        llvm::ArrayRef<int64_t>(*declared).drop_front() == element.getShape())
      shape.insert(shape.begin(), declared->front());
    else if (staticTrips)
      shape.insert(shape.begin(), *staticTrips);
    else
      return op.fail("scan output '" + name +
                     "' has as many rows as the loop runs iterations, known only at run time; "
                     "Kiln needs its length static: declare the output's shape in the model "
                     "(its rows, then " +
                     shapeString(element.getShape()) + ")");
    types.push_back(RankedTensorType::get(shape, element.getElementType()));
  }
  Value trip = op.hasInput(0) ? op.value(0) : Value();
  Value cond = op.hasInput(1) ? op.value(1) : Value();
  auto loop = b.create<kiln::LoopOp>(op.loc(), types, fn->func.getSymName(), trip, cond, carried,
                                     fn->captures);
  for (int i = 0; i < numCarried + numScans; ++i)
    if (op.hasOutput(i))
      op.setValue(i, loop.getResult(i));
  return llvm::Error::success();
}

} // namespace kiln::onnx_import
