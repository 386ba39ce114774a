//===- OpContext.cpp - one TF node as its converter sees it ---------------===//
#include "compiler/import/tfjs/OpContext.h"

#include "compiler/import/tfjs/ops/Count.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

namespace kiln::tfjs_import {

OpContext::OpContext(GraphImporter &graph, const TfNode &node, mlir::Location loc)
    : OpContextBase(graph.builder(), loc), graph_(graph), node_(node), attrs_(node.attr) {}

const ValueEntry &OpContext::entry(int i) const {
  // The importer checked that every input is defined before converting.
  ValueEntry *e = graph_.lookup(node_.inputs[i]);
  assert(e && "input defined before conversion");
  return *e;
}

const Literal *OpContext::literal(int i) const {
  const ValueEntry &e = entry(i);
  return e.literal ? &*e.literal : nullptr;
}

mlir::Value OpContext::value(int i) {
  return graph_.materialize(*graph_.lookup(node_.inputs[i]), node_.inputs[i]);
}

mlir::Value OpContext::valueWithRank(int i, int64_t rank) {
  const Literal *lit = literal(i);
  if (!lit || lit->rank() >= rank || entry(i).value)
    return value(i);
  std::vector<int64_t> shape(rank - lit->rank(), 1);
  shape.insert(shape.end(), lit->shape().begin(), lit->shape().end());
  std::string key = inputName(i).rsplit(':').first.str() + "_rank" + std::to_string(rank);
  return graph_.derivedConstant(key, [&] { return lit->reshaped(shape); });
}

mlir::RankedTensorType OpContext::type(int i) const {
  const ValueEntry &e = entry(i);
  if (e.value)
    return mlir::cast<mlir::RankedTensorType>(e.value.getType());
  return mlir::RankedTensorType::get(e.literal->shape(),
                                     mlirTypeOf(graph_.builder().getContext(), e.literal->dtype()));
}

DType OpContext::dtype(int i) const {
  const ValueEntry &e = entry(i);
  if (e.literal)
    return e.literal->dtype();
  // Every value the importer creates has one of the carried element types.
  std::optional<DType> d = llvm::expectedToOptional(dtypeOf(elementType(i)));
  return d && isTfjsDType(*d) ? *d : DType::F32;
}

llvm::Expected<std::vector<int64_t>> OpContext::constInts(int i, llvm::StringRef what) const {
  const Literal *lit = literal(i);
  if (!lit) {
    // Computed from a bounded value's run-time count (ops/Count.h): name it.
    if (auto source = countSource(entry(i).value))
      return fail("input '" + inputName(i) + "' (" + what +
                  ") depends on the run-time length of node '" + *source +
                  "', and Kiln needs it at import: it supports such a length only in a padding "
                  "or concatenation back to a static length (docs/BOUNDED.md)");
    return notKnown(i, what);
  }
  if (lit->isFloat())
    return notInteger(i, what);
  return lit->ints();
}

llvm::Expected<std::vector<int64_t>> OpContext::constShape(int i, llvm::StringRef label) const {
  auto shape = constInts(i, "shape");
  if (!shape)
    return shape.takeError();
  for (int64_t d : *shape)
    if (d < 1)
      return fail(label + " " + shapeString(*shape) + " has a dimension below 1");
  return shape;
}

bool OpContext::allInputsFoldable(int64_t maxElements) const {
  for (int i = 0; i < numInputs(); ++i) {
    const Literal *lit = literal(i);
    if (!lit || lit->size() > maxElements)
      return false;
  }
  return true;
}

std::string OpContext::outputName(int i) const { return node_.name + ":" + std::to_string(i); }

void OpContext::setValue(int i, mlir::Value value) {
  graph_.define(outputName(i), ValueEntry{value, std::nullopt, ""});
}

void OpContext::setLiteral(int i, Literal literal) {
  graph_.define(outputName(i), ValueEntry{mlir::Value(), std::move(literal), ""});
}

bool OpContext::isComplex(int i) const { return bool(entry(i).imag); }

std::pair<mlir::Value, mlir::Value> OpContext::complexValue(int i) {
  mlir::Value re = value(i);
  mlir::Value im = entry(i).imag;
  if (!im)
    im = builder().create<mlir::tosa::ConstOp>(
        loc(), re.getType(),
        mlir::DenseElementsAttr::get(mlir::cast<mlir::ShapedType>(re.getType()), 0.0f));
  return {re, im};
}

void OpContext::setComplex(int i, mlir::Value real, mlir::Value imag) {
  ValueEntry e{real, std::nullopt, ""};
  e.imag = imag;
  graph_.define(outputName(i), std::move(e));
}

void OpContext::forwardInput(int in, int out) { graph_.define(outputName(out), entry(in)); }

} // namespace kiln::tfjs_import
