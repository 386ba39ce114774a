//===- OpTable.h - TF op name to converter ------------------------*- C++ -*-===//
//
// Each op family (ops/Conv.cpp, ops/Elementwise.cpp, ...) registers its
// converters with the number of data inputs they take, so that converters
// never see a node with too few inputs. The table is built once, explicitly:
// no static initialisers to order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_TFJS_OPS_OPTABLE_H
#define KILN_COMPILER_IMPORT_TFJS_OPS_OPTABLE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <algorithm>
#include <string>
#include <vector>

namespace kiln::tfjs_import {

class OpContext;

/// Converts one node: defines each of its outputs (as a value or a literal)
/// or returns an error saying what about the node Kiln cannot take.
using ConvertFn = llvm::Error (*)(OpContext &node);

struct OpInfo {
  ConvertFn convert = nullptr;
  int minInputs = 0;
  int maxInputs = -1; // -1: no limit
};

class OpTable {
public:
  void add(llvm::StringRef op, ConvertFn fn, int minInputs, int maxInputs) {
    map_[op] = OpInfo{fn, minInputs, maxInputs};
  }
  const OpInfo *lookup(llvm::StringRef op) const {
    auto it = map_.find(op);
    return it == map_.end() ? nullptr : &it->second;
  }

  /// Every op name, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto &entry : map_)
      out.push_back(entry.getKey().str());
    std::sort(out.begin(), out.end());
    return out;
  }

private:
  llvm::StringMap<OpInfo> map_;
};

/// Every converter Kiln has for TF.js graph models. Const and Placeholder
/// are handled by the importer itself but are listed as supported.
const OpTable &tfjsOpTable();

void registerConvOps(OpTable &table);        // Conv2D, depthwise, fused forms, transposed
void registerEinsumOps(OpTable &table);      // BatchMatMul(V2), Einsum
void registerMatMulOps(OpTable &table);      // MatMul, _FusedMatMul
void registerElementwiseOps(OpTable &table); // arithmetic, AddN, math, Cast
void registerMathOps(OpTable &table);        // Sin, Atan, Erf, Round, IsNan, Pow, ClipByValue, ...
void registerActivationOps(OpTable &table);  // Relu, Relu6, Prelu, Elu, Sigmoid, ...
void registerPoolOps(OpTable &table);        // MaxPool, AvgPool, MaxPool3D, AvgPool3D
void registerTensorOps(OpTable &table);      // Reshape, Transpose, Concat, Pad, DepthToSpace
void registerTransformOps(
    OpTable &table);                    // BroadcastTo, ReverseV2, MirrorPad, SpaceToBatchND, OneHot
void registerSliceOps(OpTable &table);  // StridedSlice, Slice, Split, Unpack
void registerGatherOps(OpTable &table); // GatherV2 (with batch_dims), GatherNd
void registerShapeOps(OpTable &table);  // NoOp, Identity, Shape, Fill, Range, FakeQuantWithMinMaxVars
void registerScanOps(OpTable &table);   // Cumsum, Cumprod, TopKV2, LowerBound, Bincount
void registerReduceOps(OpTable &table); // Mean, Sum, Max, Softmax, ArgMax
void registerNormalizeOps(OpTable &table); // FusedBatchNorm, LRN
void registerResizeOps(OpTable &table);    // ResizeBilinear, ResizeNearestNeighbor
void registerCompareOps(OpTable &table);   // Equal, Less, ..., LogicalAnd, Select

// If, StatelessIf, While, StatelessWhile: bodies from the model's library.
void registerControlFlowOps(OpTable &table);
// Switch, Merge, Enter, Exit, NextIteration, LoopCond (TF1 conds and loops).
void registerTf1ControlFlowOps(OpTable &table);
// NonMaxSuppressionV2-V5 (padded V4; the others bounded, docs/BOUNDED.md).
void registerNmsOps(OpTable &table);
// Where with one input (bounded coordinates).
void registerWhereOps(OpTable &table);
void registerListDiffOps(OpTable &table);
// ScatterNd, TensorScatterUpdate, SparseToDense with constant indices.
void registerScatterOps(OpTable &table);
// CropAndResize (bilinear, nearest) with box indices known at import.
void registerCropAndResizeOps(OpTable &table);
// ImageProjectiveTransformV3 with transforms known at import.
void registerProjectiveTransformOps(OpTable &table);
// MaxPoolWithArgmax and Dilation2D, tap by tap.
void registerWindowTapOps(OpTable &table);
// TensorArray*V3 (TF1) and TensorList* (TF2) as stacked tensors (ListRows.h).
void registerTensorArrayOps(OpTable &table);
void registerTensorListOps(OpTable &table);
// RandomUniform(Int), RandomStandardNormal, TruncatedNormal, Multinomial.
void registerRandomOps(OpTable &table);

} // namespace kiln::tfjs_import

#endif
