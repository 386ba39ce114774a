//===- OpTable.h - ONNX op type to converter ----------------------*- C++ -*-===//
//
// Each op family (ops/Conv.cpp, ops/Elementwise.cpp, ...) registers its
// converters by op type. The table is built once, explicitly, so there are no
// static initialisers to order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_OPS_OPTABLE_H
#define KILN_COMPILER_IMPORT_ONNX_OPS_OPTABLE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <algorithm>
#include <string>
#include <vector>

namespace kiln::onnx_import {

class OpContext;

/// Converts one node: defines every output (as a value or a literal) or
/// returns an error saying what about this node Kiln cannot take.
using ConvertFn = llvm::Error (*)(OpContext &op);

class OpTable {
public:
  void add(llvm::StringRef opType, ConvertFn fn) { map_[opType] = fn; }
  ConvertFn lookup(llvm::StringRef opType) const {
    auto it = map_.find(opType);
    return it == map_.end() ? nullptr : it->second;
  }
  /// Every op type with a converter, sorted (`kilnc --list-ops`).
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto &entry : map_)
      out.push_back(entry.getKey().str());
    std::sort(out.begin(), out.end());
    return out;
  }

private:
  llvm::StringMap<ConvertFn> map_;
};

/// Every converter Kiln has, for the default ONNX domain.
const OpTable &onnxOpTable();
/// The converters of one op domain: the default one ("" or "ai.onnx"), or
/// "ai.onnx.preview.training" (its optimisers); null for any other domain.
const OpTable *opTableForDomain(llvm::StringRef domain);

void registerConvOps(OpTable &table);          // Conv, ConvTranspose
void registerLinearOps(OpTable &table);        // Gemm, MatMul, Det
void registerElementwiseOps(OpTable &table);   // arithmetic, math, Min/Max, Cast
void registerActivationOps(OpTable &table);    // Relu, Clip, Sigmoid, Softmax, ...
void registerNormalizationOps(OpTable &table); // BatchNorm, LayerNorm, InstanceNorm, MVN, LRN
void registerPoolOps(OpTable &table);          // MaxPool, AveragePool, Global*
void registerMaxUnpoolOps(OpTable &table);     // MaxUnpool
void registerTensorOps(OpTable &table);        // Reshape, Squeeze, Transpose, DepthToSpace, ...
void registerCombineOps(OpTable &table);       // Concat, Split, Pad, Tile, Expand
void registerSliceOps(OpTable &table);         // Slice, Gather, ReverseSequence
void registerShapeOps(OpTable &table);         // Constant, ConstantOfShape, Shape, ...
void registerReduceOps(OpTable &table);        // ReduceMean, ReduceSum, ReduceL2, ArgMax, ...
void registerResizeOps(OpTable &table);        // Resize, Upsample
void registerGridSampleOps(OpTable &table);    // GridSample
void registerRoiAlignOps(OpTable &table);      // RoiAlign
void registerMathOps(OpTable &table);          // Sin, Atan, Softplus, Selu, Round, IsInf, ...
void registerLossOps(OpTable &table);          // GatherElements, NLLLoss, SoftmaxCrossEntropyLoss
void registerMaskOps(OpTable &table);          // Trilu, Hardmax, OneHot, EyeLike
void registerLogicOps(OpTable &table);         // And, Or, Xor, LessOrEqual, BitShift, Mod
void registerSignalOps(OpTable &table);        // Hann/Hamming/BlackmanWindow, MelWeightMatrix
void registerScatterOps(OpTable &table);       // GatherND, ScatterND, ScatterElements, Scatter
void registerTopKOps(OpTable &table);          // TopK
void registerQuantizedOps(OpTable &table);     // QuantizeLinear, QLinearConv, MatMulInteger, ...
void registerRecurrentOps(OpTable &table);     // RNN, LSTM, GRU
void registerControlFlowOps(OpTable &table);   // If, Loop, Scan
void registerCumSumOps(OpTable &table);        // CumSum
void registerEinsumOps(OpTable &table);        // Einsum
void registerFourierOps(OpTable &table);       // DFT, STFT
void registerTrainingOps(OpTable &table);      // Adagrad, Adam, Momentum (training domain)
void registerTfIdfOps(OpTable &table);         // TfIdfVectorizer (integer tokens)
void registerBoundedOps(OpTable &table);       // NonZero, Compress (outputs of data-dependent length)
void registerUniqueOps(OpTable &table);        // Unique (bounded outputs too)
void registerRandomOps(OpTable &table);        // RandomUniform/Normal(Like), Bernoulli, Multinomial

} // namespace kiln::onnx_import

#endif
