//===- OpContext.cpp - one ONNX node as its converter sees it -------------===//
#include "compiler/import/onnx/OpContext.h"

#include "compiler/import/onnx/Elements.h"
#include "onnx/onnx_pb.h"

namespace kiln::onnx_import {

OpContext::OpContext(GraphImporter &graph, const onnx::NodeProto &node, mlir::Location loc)
    : OpContextBase(graph.builder(), loc), graph_(graph), node_(node) {}

llvm::StringRef OpContext::opType() const { return node_.op_type(); }

int OpContext::numInputs() const { return node_.input_size(); }

llvm::StringRef OpContext::inputName(int i) const { return node_.input(i); }

llvm::StringRef OpContext::name() const {
  return node_.name().empty() && node_.output_size() ? node_.output(0) : node_.name();
}

bool OpContext::hasInput(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }

const ValueEntry *OpContext::entry(int i) const {
  if (!hasInput(i))
    return nullptr;
  // The importer checked every input name before converting (ModelChecks).
  return graph_.lookup(node_.input(i));
}

const Literal *OpContext::literal(int i) const {
  const ValueEntry *e = entry(i);
  return e && e->literal ? &*e->literal : nullptr;
}

mlir::Value OpContext::value(int i) {
  ValueEntry *e = graph_.lookup(node_.input(i));
  assert(e && "input checked before conversion");
  auto v = graph_.materialize(*e, node_.input(i), loc());
  // Literals are validated when they are defined, so this cannot fail.
  if (!v) {
    llvm::consumeError(v.takeError());
    llvm_unreachable("literal of a supported type");
  }
  return *v;
}

mlir::RankedTensorType OpContext::type(int i) const {
  const ValueEntry *e = entry(i);
  assert(e && "present input");
  if (e->value)
    return mlir::cast<mlir::RankedTensorType>(e->value.getType());
  return mlir::RankedTensorType::get(e->literal->shape(),
                                     elementTypeFor(graph_.builder(), e->literal->dtype()));
}

llvm::Expected<std::vector<int64_t>> OpContext::constInts(int i, llvm::StringRef what) const {
  const Literal *lit = literal(i);
  if (!lit)
    return notKnown(i, what);
  if (isFloatDType(lit->dtype()))
    return notInteger(i, what);
  return lit->toInts();
}

llvm::Error OpContext::checkBroadcastsTo(int i, llvm::ArrayRef<int64_t> shape,
                                         llvm::StringRef what) const {
  auto broadcast = broadcastShapes(shape, this->shape(i));
  if (broadcast && llvm::ArrayRef<int64_t>(*broadcast) == shape)
    return llvm::Error::success();
  if (!broadcast)
    llvm::consumeError(broadcast.takeError());
  return fail(what + " of shape " + shapeString(this->shape(i)) + " does not broadcast to " +
              shapeString(shape) + " (shapes align at their last dimension)");
}

const onnx::AttributeProto *OpContext::attr(llvm::StringRef name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t OpContext::attrInt(llvm::StringRef name, int64_t defaultValue) const {
  const auto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float OpContext::attrFloat(llvm::StringRef name, float defaultValue) const {
  const auto *a = attr(name);
  return a ? a->f() : defaultValue;
}

std::string OpContext::attrString(llvm::StringRef name, llvm::StringRef defaultValue) const {
  const auto *a = attr(name);
  return a ? a->s() : defaultValue.str();
}

std::vector<int64_t> OpContext::attrInts(llvm::StringRef name) const {
  const auto *a = attr(name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>();
}

std::vector<float> OpContext::attrFloats(llvm::StringRef name) const {
  const auto *a = attr(name);
  return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>();
}

const onnx::TensorProto *OpContext::attrTensor(llvm::StringRef name) const {
  const auto *a = attr(name);
  return a && a->has_t() ? &a->t() : nullptr;
}

int OpContext::numOutputs() const { return node_.output_size(); }

bool OpContext::hasOutput(int i) const {
  return i < node_.output_size() && !node_.output(i).empty();
}

void OpContext::setValue(int i, mlir::Value value) {
  if (hasOutput(i))
    graph_.define(node_.output(i), ValueEntry{value, std::nullopt});
}

void OpContext::setLiteral(int i, Literal literal) {
  if (hasOutput(i))
    graph_.define(node_.output(i), ValueEntry{mlir::Value(), std::move(literal)});
}

mlir::Value OpContext::constant(const Literal &literal, llvm::StringRef nameHint) {
  auto v = graph_.createConstant(literal, nameHint, loc());
  if (!v) {
    llvm::consumeError(v.takeError());
    llvm_unreachable("converters build literals of supported types");
  }
  return *v;
}

void OpContext::forwardInput(int in, int out) {
  if (hasOutput(out))
    graph_.define(node_.output(out), *entry(in));
}

bool OpContext::allInputsFoldable(int64_t maxElements) const {
  for (int i = 0; i < numInputs(); ++i) {
    if (!hasInput(i))
      continue;
    const Literal *lit = literal(i);
    if (!lit || lit->size() > maxElements)
      return false;
  }
  return true;
}

} // namespace kiln::onnx_import
