//===- GraphImporter.cpp - ONNX graph to func.func over TOSA --------------===//
#include "compiler/import/onnx/GraphImporter.h"

#include "compiler/import/common/Bounded.h"
#include "compiler/import/common/Constants.h"
#include "compiler/import/onnx/OpContext.h"
#include "compiler/import/onnx/ops/OpTable.h"
#include "compiler/support/Error.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace kiln::onnx_import {

Type elementTypeFor(Builder &b, int32_t dtype) {
  std::optional<DType> d = kilnDType(dtype);
  return d ? mlirTypeOf(b.getContext(), *d) : Type();
}

int32_t dtypeFor(Type type) {
  llvm::Expected<DType> d = dtypeOf(type);
  if (!d) {
    llvm::consumeError(d.takeError());
    return 0;
  }
  return onnxTypeOf(*d);
}

GraphImporter::GraphImporter(MLIRContext &context, const onnx::ModelProto &model,
                             llvm::StringRef path)
    : context_(context), model_(model), path_(path.str()),
      modelDir_(llvm::sys::path::parent_path(path).str()), builder_(&context) {
  for (const auto &opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      opset_ = opset.version();
}

ValueEntry *GraphImporter::lookup(llvm::StringRef name) {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

void GraphImporter::define(llvm::StringRef name, ValueEntry entry) {
  values_[name] = std::move(entry);
}

llvm::Expected<Value> GraphImporter::createConstant(const Literal &literal,
                                                    llvm::StringRef nameHint, Location loc) {
  Type element = elementTypeFor(builder_, literal.dtype());
  if (!element)
    return makeError("constant '" + nameHint + "' has element type " + dtypeName(literal.dtype()) +
                     ", which Kiln does not support");
  auto type = RankedTensorType::get(literal.shape(), element);
  ElementsAttr attr = import::constantAttr(type, literal.rawData(), nameHint);
  return builder_.create<tosa::ConstOp>(loc, type, attr).getResult();
}

llvm::Expected<Value> GraphImporter::materialize(ValueEntry &entry, llvm::StringRef name,
                                                 Location loc) {
  if (entry.value)
    return entry.value;
  auto value = createConstant(*entry.literal, name, NameLoc::get(builder_.getStringAttr(name)));
  if (!value)
    return value.takeError();
  entry.value = *value;
  return *value;
}

Location GraphImporter::nodeLocation(const onnx::NodeProto &node) {
  const std::string &name =
      node.name().empty() && node.output_size() ? node.output(0) : node.name();
  return NameLoc::get(builder_.getStringAttr(name));
}

// A shape with no elements: one with a 0 dimension. Never the product of
// the dimensions, which overflows int64 for shapes a model may declare
// ([0, 2^62, 3] and [2^32, 2^32, 2^32]: UBSan and a misnamed error, found by
// the onnx fuzzer and lit hostile/extents.test).
static bool hasZeroDim(llvm::ArrayRef<int64_t> shape) { return llvm::is_contained(shape, 0); }

static std::string describeNode(const onnx::NodeProto &node) {
  std::string name = node.name();
  if (name.empty() && node.output_size())
    name = node.output(0);
  return "node '" + name + "' (op " + node.op_type() + ")";
}

llvm::Error GraphImporter::importInitializers() {
  for (const auto &init : model_.graph().initializer()) {
    auto literal = Literal::fromTensorProto(init, modelDir_);
    if (!literal)
      return makeError("initializer: " + llvm::toString(literal.takeError()));
    define(init.name(), ValueEntry{Value(), std::move(*literal)});
  }
  return llvm::Error::success();
}

llvm::Error GraphImporter::createFunction(ModuleOp module) {
  const auto &graph = model_.graph();
  llvm::SmallVector<Type> argTypes;
  llvm::SmallVector<std::string> argNames;
  for (const auto &input : graph.input()) {
    if (lookup(input.name())) // an initializer listed as input (IR < 4): a constant
      continue;
    const auto &tensorType = input.type().tensor_type();
    Type element = elementTypeFor(builder_, tensorType.elem_type());
    if (!input.type().has_tensor_type() || !element)
      return makeError("input '" + input.name() + "' is not a tensor of a supported type");
    llvm::SmallVector<int64_t> shape;
    for (const auto &dim : tensorType.shape().dim())
      shape.push_back(dim.dim_value()); // ModelChecks pinned every dimension
    argTypes.push_back(RankedTensorType::get(shape, element));
    argNames.push_back(input.name());
  }
  builder_.setInsertionPointToEnd(module.getBody());
  func_ = builder_.create<func::FuncOp>(builder_.getUnknownLoc(), "main",
                                        builder_.getFunctionType(argTypes, {}));
  Block *entry = func_.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i) {
    func_.setArgAttr(i, "kiln.name", builder_.getStringAttr(argNames[i]));
    // An empty input has one possible value: the argument stays in the
    // signature (the caller passes a zero-byte buffer) and the nodes read a
    // known empty literal, so nothing empty reaches a kernel.
    auto type = cast<RankedTensorType>(argTypes[i]);
    std::optional<Literal> empty;
    if (hasZeroDim(type.getShape()))
      empty = Literal::fromBytes(dtypeFor(type.getElementType()), type.getShape().vec(), {});
    define(argNames[i], ValueEntry{empty ? Value() : entry->getArgument(i), std::move(empty)});
  }
  builder_.setInsertionPointToEnd(entry);
  return llvm::Error::success();
}

llvm::Error GraphImporter::importNode(const onnx::NodeProto &node) {
  const OpTable *table = opTableForDomain(node.domain());
  ConvertFn convert = table ? table->lookup(node.op_type()) : nullptr;
  if (!convert) // ModelChecks lists unsupported ops before conversion starts
    return makeError(describeNode(node) + ": unsupported op");
  OpContext op(*this, node, nodeLocation(node));
  if (llvm::Error err = checkTypeParameters(node, op))
    return err;
  if (defineEmptyOutputs(node))
    return llvm::Error::success();
  Block &body = func_.getBody().front();
  Operation *before = body.empty() ? nullptr : &body.back();
  if (llvm::Error err = convert(op))
    return makeError(describeNode(node) + ": " + llvm::toString(std::move(err)));
  // Empty tensors end at the importer (constants, the unused arguments of
  // empty inputs, results). One passed on to an op with a non-empty result
  // (a MatMul over a 0-size inner dimension, say) would give a kernel
  // nothing to read: refuse it here, by the node.
  auto isEmpty = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && hasZeroDim(tensor.getShape());
  };
  for (Operation &created :
       llvm::make_range(before ? std::next(before->getIterator()) : body.begin(), body.end()))
    if (!isa<tosa::ConstOp>(created) && (llvm::any_of(created.getOperandTypes(), isEmpty) ||
                                         llvm::any_of(created.getResultTypes(), isEmpty)))
      return makeError(describeNode(node) + ": an empty tensor reaches " +
                       created.getName().getStringRef() +
                       "; Kiln compiles a node on empty tensors only when its outputs are all "
                       "empty too");
  for (const auto &output : node.output())
    if (!output.empty() && !lookup(output))
      return makeError(describeNode(node) + ": output '" + output +
                       "' is not supported by Kiln's converter for this op");
  return checkInferredShapes(node);
}

// A node whose outputs ONNX shape inference finds all empty computes
// nothing: whatever its inputs, each output has one possible value, an empty
// tensor of its type. Defined as empty literals, they need no kernel (a
// Split into 0-size parts, a Slice past the end, ConstantOfShape of [0]).
bool GraphImporter::defineEmptyOutputs(const onnx::NodeProto &node) {
  llvm::SmallVector<std::pair<std::string, Literal>> empties;
  for (const auto &output : node.output()) {
    if (output.empty())
      continue;
    auto shape = declaredShape(output);
    int32_t dtype = inferredTypes_.lookup(output)
                        ? inferredTypes_.lookup(output)->tensor_type().elem_type()
                        : 0;
    // Empty: every dimension known and one of them 0.
    if (!shape || !hasZeroDim(*shape) || llvm::any_of(*shape, [](int64_t d) { return d < 0; }) ||
        !elementTypeFor(builder_, dtype))
      return false;
    empties.emplace_back(
        output, Literal::fromBytes(dtype, std::vector<int64_t>(shape->begin(), shape->end()), {}));
  }
  if (empties.empty())
    return false;
  for (auto &[name, literal] : empties)
    define(name, ValueEntry{Value(), std::move(literal)});
  return true;
}

// Inputs that an op's schema binds to one type parameter (both of Add's T,
// every input of Mean) must have one element type. libonnx's inference checks
// each input against the types T allows, not against each other, and a
// converter would build TOSA that does not verify.
llvm::Error GraphImporter::checkTypeParameters(const onnx::NodeProto &node, OpContext &op) {
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(opset_), node.domain());
  if (!schema || schema->inputs().empty())
    return llvm::Error::success();
  const auto &formals = schema->inputs();
  llvm::StringMap<std::pair<int, Type>> bound; // type parameter -> first input, its type
  for (int i = 0; i < op.numInputs(); ++i) {
    const auto &formal = formals[std::min<size_t>(i, formals.size() - 1)];
    bool variadicTail = static_cast<size_t>(i) >= formals.size();
    if (!op.hasInput(i) || (variadicTail && (formal.GetOption() != onnx::OpSchema::Variadic ||
                                             !formal.GetIsHomogeneous())))
      continue;
    const std::string &parameter = formal.GetTypeStr();
    if (llvm::none_of(schema->typeConstraintParams(), [&](const auto &constraint) {
          return constraint.type_param_str == parameter;
        }))
      continue; // a fixed type, not a parameter
    Type element = op.elementType(i);
    auto [it, first] = bound.try_emplace(parameter, i, element);
    if (!first && it->second.second != element) {
      std::string types;
      llvm::raw_string_ostream os(types);
      os << it->second.second << " and " << element;
      return makeError(describeNode(node) + ": inputs " + llvm::Twine(it->second.first) + " and " +
                       llvm::Twine(i) + " must have the same element type (" + parameter +
                       "), but they are " + types);
    }
  }
  return llvm::Error::success();
}

// A converter computes its own result shapes; where ONNX shape inference also
// found a static shape, the two must agree, or the converter misread the op.
llvm::Error GraphImporter::checkInferredShapes(const onnx::NodeProto &node) {
  for (const auto &output : node.output()) {
    auto it = inferredTypes_.find(output);
    if (output.empty() || it == inferredTypes_.end() || !it->second->has_tensor_type())
      continue;
    const auto &tensorType = it->second->tensor_type();
    if (!tensorType.has_shape())
      continue;
    llvm::SmallVector<int64_t> inferred;
    for (const auto &dim : tensorType.shape().dim()) {
      if (!dim.has_dim_value())
        break;
      inferred.push_back(dim.dim_value());
    }
    if (static_cast<int>(inferred.size()) != tensorType.shape().dim_size())
      continue; // not fully static: nothing to compare
    ValueEntry *entry = lookup(output);
    if (entry->value && import::isBounded(entry->value))
      continue; // its length is counted at run time (common/Bounded.h)
    llvm::SmallVector<int64_t> ours =
        entry->value
            ? llvm::SmallVector<int64_t>(cast<RankedTensorType>(entry->value.getType()).getShape())
            : llvm::SmallVector<int64_t>(entry->literal->shape());
    if (ours != inferred)
      return makeError(describeNode(node) + ": Kiln computes shape " + shapeString(ours) +
                       " for output '" + output + "' but ONNX shape inference gives " +
                       shapeString(inferred));
  }
  return llvm::Error::success();
}

std::optional<llvm::SmallVector<int64_t>> GraphImporter::declaredShape(llvm::StringRef name) const {
  auto it = inferredTypes_.find(name);
  if (it == inferredTypes_.end() || !it->second->has_tensor_type() ||
      !it->second->tensor_type().has_shape())
    return std::nullopt;
  llvm::SmallVector<int64_t> shape;
  for (const auto &dim : it->second->tensor_type().shape().dim()) {
    if (!dim.has_dim_value())
      return std::nullopt;
    shape.push_back(dim.dim_value());
  }
  return shape;
}

llvm::Error GraphImporter::finishFunction() {
  llvm::SmallVector<Value> results;
  for (const auto &output : model_.graph().output()) {
    ValueEntry *entry = lookup(output.name());
    if (!entry)
      return makeError("graph output '" + output.name() + "' is not computed by any node");
    auto value = materialize(*entry, output.name(), builder_.getUnknownLoc());
    if (!value)
      return value.takeError();
    results.push_back(*value);
  }
  builder_.create<func::ReturnOp>(builder_.getUnknownLoc(), results);
  // Folding leaves a few ops behind (a reshape whose user reshaped its input
  // directly, a constant only a folded node read): drop what nothing uses.
  Block &body = func_.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  func_.setFunctionType(
      builder_.getFunctionType(func_.getArgumentTypes(), ValueRange(results).getTypes()));
  for (int i = 0; i < model_.graph().output_size(); ++i)
    func_.setResultAttr(i, "kiln.name", builder_.getStringAttr(model_.graph().output(i).name()));
  return import::finishBoundedResults(func_, [](Operation *op) {
    auto loc = dyn_cast<NameLoc>(op->getLoc());
    return "node '" + (loc ? loc.getName().str() : std::string("?")) + "'";
  });
}

llvm::Expected<OwningOpRef<ModuleOp>> GraphImporter::run() {
  const auto &graph = model_.graph();
  for (const auto &info : graph.value_info())
    inferredTypes_[info.name()] = &info.type();
  for (const auto &info : graph.output())
    inferredTypes_[info.name()] = &info.type();

  OwningOpRef<ModuleOp> module = ModuleOp::create(builder_.getUnknownLoc());
  if (llvm::Error err = importInitializers())
    return std::move(err);
  if (llvm::Error err = createFunction(*module))
    return std::move(err);
  for (const auto &node : graph.node())
    if (llvm::Error err = importNode(node))
      return std::move(err);
  if (llvm::Error err = finishFunction())
    return std::move(err);

  // A converter bug must not reach later phases as a crash: verify here.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(&context_, [&](Diagnostic &diag) {
      if (diagnostics.empty())
        diagnostics = diag.str();
      return success();
    });
    if (failed(verify(*module)))
      return makeError("internal error: the imported IR does not verify: " + diagnostics);
  }
  return std::move(module);
}

} // namespace kiln::onnx_import
