//===- DataMovement.cpp - reshape, transpose, concat, slice, pad, tile... -===//
//
// Pure index remapping: each op reads its input at computed coordinates.
// Every coordinate that could fall outside an input is clamped, so that
// Halide's bounds inference never asks for more than the input holds (a
// select alone does not narrow the bounds it infers).
//
//===----------------------------------------------------------------------===//
#include "codegen/halide/emit/EmitContext.h"

#include "codegen/schedule/KernelInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

using namespace mlir;
using Halide::Expr;

namespace kiln::codegen {
namespace {

// Reshape keeps the row-major order of elements. Dimensions equal at the
// front and back map straight through; the middle goes through a linear
// index, which Halide simplifies for the common collapse/expand cases.
llvm::Error emitReshape(Operation *op, EmitContext &ctx) {
  const HTensor &in = ctx.lookup(op->getOperand(0));
  std::vector<int64_t> out = shapeOf(op->getResult(0));
  int rin = in.rank(), rout = out.size();
  int prefix = 0;
  while (prefix < rin && prefix < rout && in.shape[prefix] == out[prefix])
    ++prefix;
  int suffix = 0;
  while (suffix < rin - prefix && suffix < rout - prefix &&
         in.shape[rin - 1 - suffix] == out[rout - 1 - suffix])
    ++suffix;
  return ctx.definePure(op->getResult(0), "reshape", [&](const std::vector<Expr> &i) {
    std::vector<Expr> idx(rin);
    for (int d = 0; d < prefix; ++d)
      idx[d] = i[d];
    for (int d = 0; d < suffix; ++d)
      idx[rin - 1 - d] = i[rout - 1 - d];
    Expr linear = 0;
    for (int d = prefix; d < rout - suffix; ++d)
      linear = linear * static_cast<int>(out[d]) + i[d];
    int64_t stride = 1;
    for (int d = rin - suffix - 1; d >= prefix; --d) {
      idx[d] = (linear / static_cast<int>(stride)) % static_cast<int>(in.shape[d]);
      stride *= in.shape[d];
    }
    return in.at(idx);
  });
}

llvm::Error emitTranspose(Operation *op, EmitContext &ctx) {
  const HTensor &in = ctx.lookup(op->getOperand(0));
  auto perms = ctx.staticInts(op, op->getOperand(1));
  if (!perms)
    return perms.takeError();
  if (static_cast<int>(perms->size()) != in.rank())
    return opError(op, "perms must have one entry per dimension");
  return ctx.definePure(op->getResult(0), "transpose", [&](const std::vector<Expr> &i) {
    // Output dimension d is input dimension perms[d].
    std::vector<Expr> idx(in.rank());
    for (int d = 0; d < in.rank(); ++d)
      idx[(*perms)[d]] = i[d];
    return in.at(idx);
  });
}

llvm::Error emitConcat(Operation *op, EmitContext &ctx) {
  int axis = cast<tosa::ConcatOp>(op).getAxis();
  std::vector<HTensor> parts;
  std::vector<int> offsets;
  int offset = 0;
  for (Value operand : op->getOperands()) {
    parts.push_back(ctx.lookup(operand));
    offsets.push_back(offset);
    offset += parts.back().shape[axis];
  }
  return ctx.definePure(op->getResult(0), "concat", [&](const std::vector<Expr> &i) {
    Expr result;
    for (int k = static_cast<int>(parts.size()) - 1; k >= 0; --k) {
      std::vector<Expr> idx = i;
      int size = parts[k].shape[axis];
      idx[axis] = Halide::clamp(i[axis] - offsets[k], 0, size - 1);
      Expr value = parts[k].at(idx);
      result =
          result.defined() ? Halide::select(i[axis] < offsets[k] + size, value, result) : value;
    }
    return result;
  });
}

llvm::Error emitSlice(Operation *op, EmitContext &ctx) {
  const HTensor &in = ctx.lookup(op->getOperand(0));
  ArrayRef<int64_t> start = cast<tosa::SliceOp>(op).getStart();
  return ctx.definePure(op->getResult(0), "slice", [&](const std::vector<Expr> &i) {
    std::vector<Expr> idx;
    for (int d = 0; d < in.rank(); ++d)
      idx.push_back(i[d] + static_cast<int>(start[d]));
    return in.at(idx);
  });
}

llvm::Error emitPad(Operation *op, EmitContext &ctx) {
  auto pad = cast<tosa::PadOp>(op);
  if (pad.getQuantizationInfo())
    return opError(op, "quantized pad is not supported");
  const HTensor &in = ctx.lookup(pad.getInput1());
  auto padding = ctx.staticInts(op, pad.getPadding());
  if (!padding)
    return padding.takeError();
  if (static_cast<int>(padding->size()) != 2 * in.rank())
    return opError(op, "padding must hold two entries per dimension");
  // The pad value: a constant baked in, or a scalar the kernel reads.
  Expr value = Halide::cast(in.type, 0);
  if (Value padConst = pad.getPadConst()) {
    if (std::optional<ElementsAttr> attr = constantValue(padConst)) {
      auto bytes = constantBytes(*attr);
      if (!bytes)
        return opError(op, llvm::toString(bytes.takeError()));
      Halide::Buffer<> scalar(in.type, std::vector<int>{});
      std::memcpy(scalar.data(), bytes->data(), in.type.bytes());
      value = scalar(std::vector<Expr>{});
    } else {
      const HTensor &c = ctx.lookup(padConst);
      value = c.at(std::vector<Expr>(c.rank(), Expr(0)));
    }
  }
  std::vector<bool> padded;
  for (int d = 0; d < in.rank(); ++d)
    padded.push_back((*padding)[2 * d] != 0 || (*padding)[2 * d + 1] != 0);
  HTensor src = ctx.withConstantExterior(in, padded, value);
  return ctx.definePure(op->getResult(0), "pad", [&](const std::vector<Expr> &i) {
    std::vector<Expr> idx;
    for (int d = 0; d < in.rank(); ++d)
      idx.push_back(i[d] - static_cast<int>((*padding)[2 * d]));
    return src.at(idx);
  });
}

llvm::Error emitTile(Operation *op, EmitContext &ctx) {
  const HTensor &in = ctx.lookup(op->getOperand(0));
  return ctx.definePure(op->getResult(0), "tile", [&](const std::vector<Expr> &i) {
    std::vector<Expr> idx;
    for (int d = 0; d < in.rank(); ++d)
      idx.push_back(in.shape[d] == 1 ? Expr(0) : i[d] % static_cast<int>(in.shape[d]));
    return in.at(idx);
  });
}

// values [N, K, C], indices [N, W] -> [N, W, C]. Out-of-range indices are
// undefined in TOSA; they are clamped so a bad index cannot read outside.
llvm::Error emitGather(Operation *op, EmitContext &ctx) {
  const HTensor &values = ctx.lookup(op->getOperand(0));
  const HTensor &indices = ctx.lookup(op->getOperand(1));
  int k = values.shape[1];
  return ctx.definePure(op->getResult(0), "gather", [&](const std::vector<Expr> &i) {
    Expr index = Halide::clamp(Halide::cast(Halide::Int(32), indices.at({i[0], i[1]})), 0, k - 1);
    return values.at({i[0], index, i[2]});
  });
}

llvm::Error emitReverse(Operation *op, EmitContext &ctx) {
  const HTensor &in = ctx.lookup(op->getOperand(0));
  int axis = cast<tosa::ReverseOp>(op).getAxis();
  return ctx.definePure(op->getResult(0), "reverse", [&](const std::vector<Expr> &i) {
    std::vector<Expr> idx = i;
    idx[axis] = static_cast<int>(in.shape[axis]) - 1 - i[axis];
    return in.at(idx);
  });
}

llvm::Error emitIdentity(Operation *op, EmitContext &ctx) {
  const HTensor &in = ctx.lookup(op->getOperand(0));
  return ctx.definePure(op->getResult(0), "identity",
                        [&](const std::vector<Expr> &i) { return in.at(i); });
}

// A constant inside a kernel is baked into the pipeline as a Halide buffer
// (read-only data in the compiled object).
llvm::Error emitConst(Operation *op, EmitContext &ctx) {
  std::optional<ElementsAttr> attr = constantValue(op->getResult(0));
  if (!attr)
    return opError(op, "expected an elements attribute");
  auto bytes = constantBytes(*attr);
  if (!bytes)
    return opError(op, llvm::toString(bytes.takeError()));
  auto type = halideType(attr->getElementType());
  if (!type)
    return opError(op, llvm::toString(type.takeError()));
  std::vector<int64_t> shape = shapeOf(op->getResult(0));
  std::vector<int> sizes(shape.rbegin(), shape.rend());
  Halide::Buffer<> buffer(*type, sizes);
  if (buffer.size_in_bytes() != bytes->size())
    return opError(op, "constant size mismatch");
  std::memcpy(buffer.data(), bytes->data(), bytes->size());
  return ctx.definePure(op->getResult(0), "const", [&](const std::vector<Expr> &i) {
    std::vector<Expr> reversed(i.rbegin(), i.rend());
    return buffer(reversed);
  });
}

} // namespace

void registerDataMovementEmitters(EmitterTable &table) {
  table["tosa.reshape"] = emitReshape;
  table["tosa.transpose"] = emitTranspose;
  table["tosa.concat"] = emitConcat;
  table["tosa.slice"] = emitSlice;
  table["tosa.pad"] = emitPad;
  table["tosa.tile"] = emitTile;
  table["tosa.gather"] = emitGather;
  table["tosa.reverse"] = emitReverse;
  table["tosa.identity"] = emitIdentity;
  table["tosa.const"] = emitConst;
  table["arith.constant"] = emitConst;
}

} // namespace kiln::codegen
