//===- BufferLimits.h - the largest tensor Kiln can compile -------*- C++ -*-===//
//
// Two limits, checked before anything computes with a tensor's size:
// - an element count must fit in 64 bits. MLIR's getNumElements() and every
//   byte count after it multiply without a check, so a shape such as
//   [2^32, 2^32, 2^32] (a hostile model) wraps around silently; the driver
//   refuses it right after loading (`checkElementCounts`).
// - a tensor that becomes a Halide buffer or a Halide-computed intermediate
//   must fit Halide 14's 32-bit extents and strides and, without the
//   `large_buffers` target feature (Kiln never sets it; WASM is 32-bit), a
//   size under 2^31 bytes. Beyond that the compiled kernels' extents and
//   addresses wrap around (and the WASM kernels have no run-time checks).
//   The host plan checks every buffer it binds, codegen every value inside
//   a kernel (`checkBufferLimits`).
// Each error names the tensor, its type and the limit.
//
// Header-only: the driver, the host plan and codegen include it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULE_BUFFERLIMITS_H
#define KILN_CODEGEN_SCHEDULE_BUFFERLIMITS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::codegen {

/// The most bytes one Halide buffer or allocation may hold without
/// `large_buffers`, and the largest extent or stride (both 2^31 - 1).
constexpr uint64_t kMaxBufferBytes = (uint64_t(1) << 31) - 1;
constexpr int64_t kMaxExtent = (int64_t(1) << 31) - 1;

/// The element count of a static shape, or nothing when it overflows int64.
inline std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (llvm::MulOverflow(count, d, count))
      return std::nullopt;
  }
  return count;
}

inline std::string typeText(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

/// An error when a statically shaped `type` (named `what` in the message,
/// e.g. "input 'x'") cannot be a Halide buffer.
inline llvm::Error checkBufferLimits(mlir::ShapedType type, const llvm::Twine &what) {
  auto error = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   what + " (" + typeText(type) + ") " + why);
  };
  if (!type.hasStaticShape())
    return llvm::Error::success(); // the callers report dynamic shapes themselves
  std::optional<int64_t> count = checkedElementCount(type.getShape());
  if (!count)
    return error("has more elements than 64 bits can count");
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    if (d > kMaxExtent)
      return error("has dimension " + llvm::Twine(i) + " of " + llvm::Twine(d) +
                   "; Halide's extents are 32-bit (at most " + llvm::Twine(kMaxExtent) + ")");
  mlir::Type element = type.getElementType();
  int64_t elementBytes = element.isIntOrFloat() ? (element.getIntOrFloatBitWidth() + 7) / 8 : 8;
  int64_t bytes = 0;
  bool overflow = llvm::MulOverflow(*count, elementBytes, bytes);
  if (overflow || uint64_t(bytes) > kMaxBufferBytes)
    return error("is " + (overflow ? std::string("over 2^63") : std::to_string(bytes)) +
                 " bytes; a Halide buffer holds at most " + llvm::Twine(kMaxBufferBytes) +
                 " bytes (2^31 - 1: its extents and strides are 32-bit)");
  return llvm::Error::success();
}

/// How a value reads in an error: "input 'x'" for an argument of @main with
/// a kiln.name, else "the result of tosa.clamp 'node'" (the op's NameLoc,
/// which the importers set to the node's name).
inline std::string describeValue(mlir::Value value) {
  if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(value)) {
    if (auto func =
            llvm::dyn_cast_or_null<mlir::FunctionOpInterface>(arg.getOwner()->getParentOp()))
      if (auto name = func.getArgAttrOfType<mlir::StringAttr>(arg.getArgNumber(), "kiln.name"))
        return "input '" + name.str() + "'";
    return "argument #" + std::to_string(arg.getArgNumber());
  }
  mlir::Operation *op = value.getDefiningOp();
  std::string text = "the result of " + op->getName().getStringRef().str();
  if (auto loc = llvm::dyn_cast<mlir::NameLoc>(op->getLoc()))
    text += " '" + loc.getName().str() + "'";
  return text;
}

/// An error naming the first value in `root` whose static tensor shape
/// has an element count that overflows 64 bits (see the top of this file).
inline llvm::Error checkElementCounts(mlir::Operation *root) {
  std::optional<std::string> bad;
  auto check = [&](mlir::Value value) {
    auto type = llvm::dyn_cast<mlir::ShapedType>(value.getType());
    if (bad || !type || !type.hasRank())
      return;
    llvm::SmallVector<int64_t> dims;
    for (int64_t d : type.getShape())
      if (!mlir::ShapedType::isDynamic(d))
        dims.push_back(d);
    if (!checkedElementCount(dims))
      bad = describeValue(value) + " (" + typeText(type) +
            ") has more elements than 64 bits can count; Kiln refuses the model";
  };
  // Pre-order, so that a function's arguments (the model's inputs) come
  // before the ops that compute with them.
  root->walk<mlir::WalkOrder::PreOrder>([&](mlir::Operation *op) {
    for (mlir::Region &region : op->getRegions())
      for (mlir::Block &block : region)
        for (mlir::BlockArgument arg : block.getArguments())
          check(arg);
    for (mlir::Value result : op->getResults())
      check(result);
  });
  if (bad)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), *bad);
  return llvm::Error::success();
}

} // namespace kiln::codegen

#endif
