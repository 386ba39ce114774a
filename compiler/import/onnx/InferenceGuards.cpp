//===- InferenceGuards.cpp - libonnx shape inference, without its crashes -===//
#include "compiler/import/onnx/InferenceGuards.h"

#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"

#include <map>
#include <memory>
#include <mutex>

namespace kiln::onnx_import {
namespace {

using onnx::InferenceContext;

// An attribute list, when given, has one entry per spatial dimension (or
// `perDim` of them: pads have two).
void checkLength(InferenceContext &ctx, const char *name, size_t spatial, size_t perDim = 1) {
  std::vector<int64_t> values;
  if (onnx::getRepeatedAttribute(ctx, name, values) && values.size() != spatial * perDim)
    fail_shape_inference(name, " has ", values.size(), " values where the input's ", spatial,
                         " spatial dimensions need ", spatial * perDim);
}

// Conv, ConvTranspose and the pools (convPoolShapeInference,
// convTransposeShapeInference): the weights' rank and every attribute list
// must fit the input's rank, which libonnx 1.12 reads them by.
void guardWindowed(InferenceContext &ctx, bool hasWeights) {
  if (!onnx::hasInputShape(ctx, 0))
    return;
  int rank = onnx::getInputShape(ctx, 0).dim_size();
  if (rank < 3)
    fail_shape_inference("the input has rank ", rank,
                         "; expected N x C and at least one spatial dimension");
  size_t spatial = rank - 2;
  if (hasWeights && onnx::hasInputShape(ctx, 1) && onnx::getInputShape(ctx, 1).dim_size() != rank)
    fail_shape_inference("the weights have rank ", onnx::getInputShape(ctx, 1).dim_size(),
                         " but the input has rank ", rank);
  for (const char *name : {"kernel_shape", "strides", "dilations", "output_padding"})
    checkLength(ctx, name, spatial);
  checkLength(ctx, "pads", spatial, 2);
  std::vector<int64_t> outputShape; // spatial, or (as some exporters write it) N, C and spatial
  if (onnx::getRepeatedAttribute(ctx, "output_shape", outputShape) &&
      outputShape.size() != spatial && outputShape.size() != spatial + 2)
    fail_shape_inference("output_shape has ", outputShape.size(), " values where the input's ",
                         spatial, " spatial dimensions need ", spatial);
}

// Gemm: A and B are matrices, C broadcasts to their product. libonnx 1.12's
// version converter (Gemm 6 -> 7) reads A's dimensions unchecked; the
// inference before conversion (ModelLoader.cpp) runs this first.
void guardGemm(InferenceContext &ctx) {
  for (size_t i : {0, 1})
    if (onnx::hasInputShape(ctx, i) && onnx::getInputShape(ctx, i).dim_size() != 2)
      fail_shape_inference("input ", i, " has rank ", onnx::getInputShape(ctx, i).dim_size(),
                           "; Gemm multiplies matrices (rank 2)");
  if (onnx::hasInputShape(ctx, 2) && onnx::getInputShape(ctx, 2).dim_size() > 2)
    fail_shape_inference("C has rank ", onnx::getInputShape(ctx, 2).dim_size(),
                         "; it must broadcast to the rank-2 product");
}

// STFT: libonnx 1.12 reads `onesided` with a default of 0 where the spec's
// is 1, so a node without the attribute is inferred with every bin
// (frame_length) instead of frame_length / 2 + 1 and then contradicts the
// model's declared output. Run after libonnx's own inference; a libonnx that
// reads the default right would make this halve again, which the STFT node
// tests (test/conformance) would catch.
void fixStftOnesided(InferenceContext &ctx) {
  if (ctx.getAttribute("onesided") || ctx.getNumOutputs() < 1)
    return;
  auto *type = ctx.getOutputType(0);
  if (!type || !type->has_tensor_type() || !type->tensor_type().has_shape() ||
      type->tensor_type().shape().dim_size() != 4)
    return;
  auto *dim = type->mutable_tensor_type()->mutable_shape()->mutable_dim(2);
  if (dim->has_dim_value())
    dim->set_dim_value(dim->dim_value() / 2 + 1);
}

using Guard = void (*)(InferenceContext &);

// By op type, in the default domain: corrections run after libonnx's
// inference function, for every opset version.
const std::map<std::string, Guard> &fixes() {
  static const std::map<std::string, Guard> table = {{"STFT", fixStftOnesided}};
  return table;
}

// By op type, in the default domain. A guard runs before libonnx's own
// inference function, for every opset version.
const std::map<std::string, Guard> &guards() {
  static const std::map<std::string, Guard> table = {
      {"Conv", [](InferenceContext &ctx) { guardWindowed(ctx, true); }},
      {"ConvTranspose", [](InferenceContext &ctx) { guardWindowed(ctx, true); }},
      {"MaxPool", [](InferenceContext &ctx) { guardWindowed(ctx, false); }},
      {"AveragePool", [](InferenceContext &ctx) { guardWindowed(ctx, false); }},
      {"Gemm", guardGemm},
  };
  return table;
}

class GuardedRegistry final : public onnx::ISchemaRegistry {
public:
  const onnx::OpSchema *GetSchema(const std::string &key, const int maxInclusiveVersion,
                                  const std::string &domain) const override {
    const onnx::OpSchema *schema =
        onnx::OpSchemaRegistry::Instance()->GetSchema(key, maxInclusiveVersion, domain);
    auto guard = guards().find(key);
    auto fix = fixes().find(key);
    if (!schema || (guard == guards().end() && fix == fixes().end()) ||
        (!domain.empty() && domain != "ai.onnx"))
      return schema;
    std::lock_guard<std::mutex> lock(mutex_);
    std::unique_ptr<onnx::OpSchema> &copy = guarded_[schema];
    if (!copy) {
      copy = std::make_unique<onnx::OpSchema>(*schema);
      onnx::InferenceFunction inner = schema->GetTypeAndShapeInferenceFunction();
      Guard check = guard == guards().end() ? nullptr : guard->second;
      Guard after = fix == fixes().end() ? nullptr : fix->second;
      copy->TypeAndShapeInferenceFunction([inner, check, after](InferenceContext &ctx) {
        if (check)
          check(ctx);
        if (inner)
          inner(ctx);
        if (after)
          after(ctx);
      });
    }
    return copy.get();
  }

private:
  mutable std::mutex mutex_;
  mutable std::map<const onnx::OpSchema *, std::unique_ptr<onnx::OpSchema>> guarded_;
};

} // namespace

const onnx::ISchemaRegistry *guardedSchemaRegistry() {
  static const GuardedRegistry registry;
  return &registry;
}

} // namespace kiln::onnx_import
