//===- KernelEmitter.cpp - kiln.kernel regions to Halide pipelines --------===//
#include "codegen/halide/KernelEmitter.h"

#include "codegen/schedule/BufferLimits.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace kiln::codegen {

std::vector<Halide::Argument> EmittedKernel::arguments() const {
  return std::vector<Halide::Argument>(inputs.begin(), inputs.end());
}

// Static extents and dense row-major strides, in Halide's reversed order.
template <typename DimFn> static void constrainDense(const std::vector<int64_t> &shape, DimFn dim) {
  int rank = shape.size();
  int stride = 1;
  for (int h = 0; h < rank; ++h) {
    int extent = static_cast<int>(shape[rank - 1 - h]);
    dim(h).set_bounds(0, extent).set_stride(stride);
    stride *= extent;
  }
}

static Halide::Region estimateRegion(const std::vector<int64_t> &shape) {
  Halide::Region region;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it)
    region.emplace_back(0, static_cast<int>(*it));
  return region;
}

llvm::Expected<EmittedKernel> emitKernel(KernelOp kernel) {
  auto fail = [&](llvm::Error err) -> llvm::Error {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "kernel '" + kernel.getKernelName() +
                                       "': " + llvm::toString(std::move(err)));
  };
  EmittedKernel out;
  out.name = kernel.getKernelName().str();
  EmitContext ctx(kernel);
  Block &body = kernel.getBody().front();

  for (BlockArgument arg : body.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.hasStaticShape())
      return fail(llvm::createStringError(llvm::inconvertibleErrorCode(),
                                          "input #" + llvm::Twine(arg.getArgNumber()) +
                                              " is not a statically shaped tensor"));
    if (llvm::Error err = checkBufferLimits(type, "input #" + llvm::Twine(arg.getArgNumber())))
      return fail(std::move(err));
    auto htype = halideType(type.getElementType());
    if (!htype)
      return fail(htype.takeError());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    Halide::ImageParam param(*htype, type.getRank(), "in" + std::to_string(arg.getArgNumber()));
    constrainDense(shape, [&](int h) { return param.dim(h); });
    param.set_estimates(estimateRegion(shape));
    ctx.bind(arg, HTensor{param, shape, *htype});
    out.inputs.push_back(param);
    out.inputShapes.push_back(shape);
  }

  const EmitterTable &table = emitterTable();
  for (Operation &op : body.without_terminator()) {
    auto it = table.find(emitterKey(&op));
    if (it == table.end()) {
      if (auto custom = dyn_cast<tosa::CustomOp>(&op))
        return fail(opError(&op, "unknown custom operator '" + custom.getOperatorName() + "'"));
      return fail(opError(&op, "unsupported op"));
    }
    for (Value result : op.getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || !type.hasStaticShape())
        return fail(opError(&op, "results must be statically shaped tensors"));
      if (llvm::Error err = checkBufferLimits(type, describeValue(result)))
        return fail(std::move(err));
    }
    if (llvm::Error err = it->second(&op, ctx))
      return fail(std::move(err));
  }

  // Outputs are pure wrappers: the value a kernel yields may have update
  // definitions (a conv), which the templates then compute inside the
  // output's tiles.
  for (auto [i, value] : llvm::enumerate(kernel.getYield().getValues())) {
    const HTensor &t = ctx.lookup(value);
    Halide::Func f("out" + std::to_string(i));
    std::vector<Halide::Var> vars = tensorVars(t.rank());
    defineFunc(f, vars, t.at(toExprs(vars)));
    constrainDense(t.shape, [&](int h) { return f.output_buffer().dim(h); });
    f.set_estimates(estimateRegion(t.shape));
    out.outputs.push_back(f);
    out.outputShapes.push_back(t.shape);
  }
  out.stages = ctx.getStages();
  out.pipeline = Halide::Pipeline(out.outputs);
  return out;
}

} // namespace kiln::codegen
