//===- TestData.h - ONNX backend node tests as data -------------*- C++ -*-===//
//
// One ONNX node test is a folder: model.onnx and test_data_set_N/ with
// input_i.pb and output_i.pb (serialised TensorProto). This file finds them
// and reads their tensors; no MLIR, no Halide.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_CONFORMANCE_TESTDATA_H
#define KILN_TEST_CONFORMANCE_TESTDATA_H

#include "targets/jit/HostTensor.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln::conformance {

struct NodeTest {
  std::string name; ///< folder name, e.g. "test_relu"
  std::string dir;
  std::string op;                      ///< the node's op type, or "(multi-node)"
  std::vector<std::string> inputNames; ///< graph inputs that are not initializers
  std::vector<std::string> outputNames;
  /// The element types the graph declares (TensorProto::DataType), which
  /// win over the data's: old tests store bfloat16 data as uint16.
  std::vector<int> inputTypes, outputTypes;
  /// Graph inputs that a node reads as a shape-like operand (Resize's roi,
  /// scales and sizes; Upsample's scales): a deployed model holds these as
  /// initializers, so the runner's constant retry may fold them whatever
  /// their element type.
  std::vector<std::string> shapeOperands;
  /// Graph inputs whose values no node reads (unread, or only CastLike's
  /// `like`, which gives a type), with their static shape in the model. The
  /// castlike bfloat16 tests hold `like` data of shape [1] where the model
  /// declares [3, 4]: the runner feeds zeros of the declared shape instead,
  /// which cannot change any output.
  std::vector<std::pair<std::string, std::vector<int64_t>>> valueFreeInputs;
  /// Set when an input or output is a sequence, map or optional: Kiln
  /// compiles tensor programs only.
  std::string nonTensor;
};

/// Every folder under `root` with a model.onnx and a test_data_set_0, sorted.
std::vector<std::string> findTests(llvm::StringRef root);

/// Reads a test's model metadata (op, input and output names).
llvm::Expected<NodeTest> describeTest(const std::string &dir);

/// Reads test_data_set_0's inputs and expected outputs. Fails (as
/// "non-tensor data") for sequences, maps and optionals.
llvm::Error readDataSet(const NodeTest &test, std::vector<jit::HostTensor> &inputs,
                        std::vector<jit::HostTensor> &outputs);

/// Writes a copy of the test's model in which the named inputs are
/// initializers holding the test data, for ops whose shape-like operands a
/// static compiler needs as constants (onnx-mlir's backend tests do the same
/// with their CONSTANT_INPUT setting).
llvm::Error writeWithConstantInputs(const NodeTest &test,
                                    const std::vector<jit::HostTensor> &inputs,
                                    const std::vector<std::string> &names, const std::string &path);

/// Compares within rtol/atol per element (exact for integers and bools, NaN
/// equal to NaN). On mismatch, returns the first bad element as text.
std::optional<std::string> compareTensors(const jit::HostTensor &expected,
                                          const jit::HostTensor &actual, double rtol, double atol);

} // namespace kiln::conformance

#endif
