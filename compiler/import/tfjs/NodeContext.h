//===- NodeContext.h - one TF node as its converter sees it -------*- C++ -*-===//
//
// Converters (ops/*.cpp) read a node's inputs and attributes through a
// NodeContext and record its outputs as MLIR values or, when they fold on
// the host, as HostTensors. Errors from `fail` are prefixed with the node's
// name and op by the importer.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_NODECONTEXT_H
#define KILN_COMPILER_IMPORT_TFJS_NODECONTEXT_H

#include "compiler/import/tfjs/AttrValue.h"
#include "compiler/import/tfjs/GraphImporter.h"
#include "mlir/IR/BuiltinTypes.h"

namespace kiln::tfjs_import {

/// Host folding is for shape computations and small constants; anything
/// larger is left to TOSA and the graph phase's constant folding.
constexpr int64_t kMaxFoldElements = 1 << 16;

class NodeContext {
public:
  NodeContext(GraphImporter &graph, const TfNode &node, mlir::Location loc);

  const TfNode &node() const { return node_; }
  llvm::StringRef op() const { return node_.op; }
  mlir::OpBuilder &builder() { return graph_.builder(); }
  mlir::Location loc() const { return loc_; }
  GraphImporter &graph() { return graph_; }
  AttrReader &attrs() { return attrs_; }

  //--- Inputs (data inputs only; the op table checked their number).
  int numInputs() const { return node_.inputs.size(); }
  /// Known contents of input `i`, or null.
  const HostTensor *host(int i) const;
  /// The input as an MLIR value (host contents are materialised on first use).
  mlir::Value value(int i);
  /// The input with leading 1s up to `rank` dimensions (for broadcasting);
  /// known inputs are reshaped on the host, so no tosa.reshape is left.
  mlir::Value valueWithRank(int i, int64_t rank);
  mlir::RankedTensorType type(int i) const;
  llvm::ArrayRef<int64_t> shape(int i) const { return type(i).getShape(); }
  int64_t rank(int i) const { return type(i).getRank(); }
  mlir::Type elementType(int i) const { return type(i).getElementType(); }
  DType dtype(int i) const;
  /// Integer contents of an input that must be known (axes, paddings, shapes).
  llvm::Expected<std::vector<int64_t>> constInts(int i, llvm::StringRef what) const;
  /// Whether every input is known and at most `maxElements` large.
  bool allHost(int64_t maxElements = kMaxFoldElements) const;

  //--- Outputs.
  void setValue(int i, mlir::Value value);
  void setHost(int i, HostTensor host);
  /// Defines output `i` as input `input`, unchanged (Identity).
  void forward(int i, int input);

  //--- Helpers.
  llvm::Error fail(const llvm::Twine &message) const;
  /// Maps a possibly negative axis into [0, rank) or fails.
  llvm::Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank) const;

  template <typename OpTy, typename... Args> mlir::Value create(Args &&...args) {
    return builder().create<OpTy>(loc_, std::forward<Args>(args)...).getResult();
  }

private:
  const ValueEntry &entry(int i) const;
  std::string outputName(int i) const;

  GraphImporter &graph_;
  const TfNode &node_;
  mlir::Location loc_;
  AttrReader attrs_;
};

} // namespace kiln::tfjs_import

#endif
