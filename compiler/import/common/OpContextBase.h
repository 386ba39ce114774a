//===- OpContextBase.h - what both importers' op contexts share ---*- C++ -*-===//
//
// Each importer hands its converters an OpContext: one node of the model as
// the converter sees it (inputs as MLIR values or literals, attributes,
// outputs). How a node is stored and what its literals hold differ between
// ONNX and TF.js, so each importer derives its own OpContext from this base;
// what does not depend on the format is here: where ops are built, the types
// of the inputs, and the errors converters return.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_COMMON_OPCONTEXTBASE_H
#define KILN_COMPILER_IMPORT_COMMON_OPCONTEXTBASE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

namespace kiln::import {

/// Host folding is for shape computations and small constants; anything
/// larger is left to TOSA and the graph phase's constant folding.
constexpr int64_t kMaxFoldElements = 1 << 16;

class OpContextBase {
public:
  OpContextBase(const OpContextBase &) = delete;
  OpContextBase &operator=(const OpContextBase &) = delete;
  virtual ~OpContextBase() = default;

  /// Converters build at the builder's insertion point, with loc().
  mlir::OpBuilder &builder() { return builder_; }
  mlir::Location loc() const { return loc_; }

  //--- Inputs.
  virtual int numInputs() const = 0;
  /// The input's name in the model, as errors print it.
  virtual llvm::StringRef inputName(int i) const = 0;
  virtual mlir::RankedTensorType type(int i) const = 0;
  llvm::ArrayRef<int64_t> shape(int i) const { return type(i).getShape(); }
  int64_t rank(int i) const { return type(i).getRank(); }
  mlir::Type elementType(int i) const { return type(i).getElementType(); }

  //--- Helpers.
  /// An error about this node; the importer prefixes it with the node's name
  /// and op.
  llvm::Error fail(const llvm::Twine &message) const;
  /// Maps a possibly negative axis into [0, rank) or fails.
  llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;

  template <typename OpTy, typename... Args> mlir::Value create(Args &&...args) {
    return builder_.create<OpTy>(loc_, std::forward<Args>(args)...).getResult();
  }

protected:
  OpContextBase(mlir::OpBuilder &builder, mlir::Location loc) : builder_(builder), loc_(loc) {}

  /// The errors of constInts, worded alike in both importers: input `i`
  /// (read as `what`) is not known at import time, or is not integer.
  llvm::Error notKnown(int i, llvm::StringRef what) const;
  llvm::Error notInteger(int i, llvm::StringRef what) const;

private:
  mlir::OpBuilder &builder_;
  mlir::Location loc_;
};

} // namespace kiln::import

#endif
