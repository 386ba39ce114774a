//===- NodeContext.cpp - one TF node as its converter sees it -------------===//
#include "compiler/import/tfjs/NodeContext.h"

#include "compiler/import/common/Shapes.h"

namespace kiln::tfjs_import {

NodeContext::NodeContext(GraphImporter &graph, const TfNode &node, mlir::Location loc)
    : graph_(graph), node_(node), loc_(loc), attrs_(node.attr) {}

const ValueEntry &NodeContext::entry(int i) const {
  // The importer checked that every input is defined before converting.
  ValueEntry *e = graph_.lookup(node_.inputs[i]);
  assert(e && "input defined before conversion");
  return *e;
}

const HostTensor *NodeContext::host(int i) const {
  const ValueEntry &e = entry(i);
  return e.host ? &*e.host : nullptr;
}

mlir::Value NodeContext::value(int i) {
  return graph_.materialize(*graph_.lookup(node_.inputs[i]), node_.inputs[i]);
}

mlir::Value NodeContext::valueWithRank(int i, int64_t rank) {
  const HostTensor *h = host(i);
  if (!h || h->rank() >= rank || entry(i).value)
    return value(i);
  std::vector<int64_t> shape(rank - h->rank(), 1);
  shape.insert(shape.end(), h->shape().begin(), h->shape().end());
  std::string key =
      llvm::StringRef(node_.inputs[i]).rsplit(':').first.str() + "_rank" + std::to_string(rank);
  return graph_.derivedConstant(key, [&] { return h->reshaped(shape); });
}

mlir::RankedTensorType NodeContext::type(int i) const {
  const ValueEntry &e = entry(i);
  if (e.value)
    return mlir::cast<mlir::RankedTensorType>(e.value.getType());
  return mlir::RankedTensorType::get(e.host->shape(), mlirType(graph_.builder(), e.host->dtype()));
}

DType NodeContext::dtype(int i) const {
  const ValueEntry &e = entry(i);
  if (e.host)
    return e.host->dtype();
  // Every value the importer creates has one of the carried element types.
  return dtypeOf(type(i).getElementType()).value_or(DType::F32);
}

llvm::Expected<std::vector<int64_t>> NodeContext::constInts(int i, llvm::StringRef what) const {
  const HostTensor *h = host(i);
  if (!h)
    return fail("input '" + node_.inputs[i] + "' (" + what +
                ") must be a constant or computable from static shapes");
  if (h->isFloat())
    return fail("input '" + node_.inputs[i] + "' (" + what + ") must be an integer tensor");
  return h->ints();
}

bool NodeContext::allHost(int64_t maxElements) const {
  for (int i = 0; i < numInputs(); ++i) {
    const HostTensor *h = host(i);
    if (!h || h->size() > maxElements)
      return false;
  }
  return true;
}

std::string NodeContext::outputName(int i) const { return node_.name + ":" + std::to_string(i); }

void NodeContext::setValue(int i, mlir::Value value) {
  graph_.define(outputName(i), ValueEntry{value, std::nullopt, ""});
}

void NodeContext::setHost(int i, HostTensor host) {
  graph_.define(outputName(i), ValueEntry{mlir::Value(), std::move(host), ""});
}

void NodeContext::forward(int i, int input) { graph_.define(outputName(i), entry(input)); }

llvm::Error NodeContext::fail(const llvm::Twine &message) const {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank) const {
  return import::normalizeAxis(axis, rank);
}

} // namespace kiln::tfjs_import
