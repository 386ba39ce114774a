//===- GraphPassesTest.cpp - numerics of the graph-phase passes -----------===//
//
// Folding must be exact to float rounding. The oracle here is a hand
// computation written independently of the passes: nested loops over the
// filter layouts, each product rounded to float once.
//
//===----------------------------------------------------------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "compiler/graph/ConstantUtils.h"
#include "compiler/graph/Passes.h"
#include "dialects/kiln/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

using namespace mlir;

namespace {

class GraphPassesTest : public ::testing::Test {
protected:
  GraphPassesTest() {
    kiln::registerDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
  }

  OwningOpRef<ModuleOp> parse(const std::string &ir) {
    return parseSourceString<ModuleOp>(ir, context.get());
  }

  // A constant as text: its raw little-endian bytes in hex, which MLIR reads
  // for any shape and which keeps every bit of the oracle's values.
  static std::string dense(const std::vector<float> &values, const std::string &type) {
    std::string text = "dense<\"0x";
    char buffer[3];
    for (float value : values) {
      unsigned char bytes[sizeof(float)];
      std::memcpy(bytes, &value, sizeof(float));
      for (unsigned char byte : bytes) {
        std::snprintf(buffer, sizeof(buffer), "%02X", byte);
        text += buffer;
      }
    }
    return text + "\"> : " + type;
  }

  // The values of the constant feeding operand `index` of the only `OpT`.
  template <typename OpT> std::vector<double> operandValues(ModuleOp module, unsigned index) {
    std::vector<double> values;
    int found = 0;
    module.walk([&](OpT op) {
      ++found;
      auto constant = op->getOperand(index).template getDefiningOp<tosa::ConstOp>();
      EXPECT_TRUE(constant);
      if (constant)
        values = kiln::readAsDoubles(constant.getValue()).value_or(std::vector<double>{});
    });
    EXPECT_EQ(found, 1);
    return values;
  }

  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
};

// Values that are not exactly representable products: rounding matters.
std::vector<float> sequence(int count, float start, float step) {
  std::vector<float> values;
  for (int i = 0; i < count; ++i)
    values.push_back(start + step * i * (i % 2 ? -1.0f : 1.0f));
  return values;
}

TEST_F(GraphPassesTest, Conv2DBatchNormFoldsExactly) {
  // OHWI weights [O=3, KH=2, KW=1, I=2], NHWC input [1,4,4,2].
  const int O = 3, KH = 2, KW = 1, I = 2;
  std::vector<float> w = sequence(O * KH * KW * I, 0.1f, 0.37f);
  std::vector<float> b = {0.3f, -1.1f, 2.7f};
  std::vector<float> s = {1.1f, -0.7f, 3.3f};
  std::vector<float> t = {0.01f, 0.2f, -0.3f};
  std::string ir = R"(
    func.func @main(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x4x3xf32> {
      %w = "tosa.const"() <{value = )" +
                   dense(w, "tensor<3x2x1x2xf32>") + R"(}> : () -> tensor<3x2x1x2xf32>
      %b = "tosa.const"() <{value = )" +
                   dense(b, "tensor<3xf32>") + R"(}> : () -> tensor<3xf32>
      %s = "tosa.const"() <{value = )" +
                   dense(s, "tensor<1x1x1x3xf32>") + R"(}> : () -> tensor<1x1x1x3xf32>
      %t = "tosa.const"() <{value = )" +
                   dense(t, "tensor<1x1x1x3xf32>") + R"(}> : () -> tensor<1x1x1x3xf32>
      %0 = tosa.conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x2x1x2xf32>, tensor<3xf32>) -> tensor<1x3x4x3xf32>
      %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<1x3x4x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x3x4x3xf32>
      %2 = tosa.add %1, %t : (tensor<1x3x4x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x3x4x3xf32>
      return %2 : tensor<1x3x4x3xf32>
    })";
  OwningOpRef<ModuleOp> module = parse(ir);
  ASSERT_TRUE(module);
  PassManager pm(context.get());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnFoldIntoConvPass());
  ASSERT_TRUE(succeeded(pm.run(*module)));

  int remaining = 0;
  module->walk([&](Operation *op) { remaining += isa<tosa::MulOp, tosa::AddOp>(op); });
  EXPECT_EQ(remaining, 0);

  // The oracle: every weight of output channel o times s[o], rounded once
  // (a float product is exact in double, so this is the correctly rounded
  // result); the bias b * s + t rounded once, within one float ulp.
  std::vector<double> folded = operandValues<tosa::Conv2DOp>(*module, 1);
  ASSERT_EQ(folded.size(), w.size());
  for (int o = 0; o < O; ++o)
    for (int kh = 0; kh < KH; ++kh)
      for (int kw = 0; kw < KW; ++kw)
        for (int i = 0; i < I; ++i) {
          int index = ((o * KH + kh) * KW + kw) * I + i;
          float expected = static_cast<float>(static_cast<double>(w[index]) * s[o]);
          EXPECT_EQ(static_cast<float>(folded[index]), expected) << "weight " << index;
        }
  std::vector<double> bias = operandValues<tosa::Conv2DOp>(*module, 2);
  ASSERT_EQ(bias.size(), 3u);
  for (int o = 0; o < O; ++o) {
    float expected = static_cast<float>(static_cast<double>(b[o]) * s[o] + t[o]);
    EXPECT_NEAR(bias[o], expected, std::abs(expected) * 1.2e-7) << "bias " << o;
  }
}

TEST_F(GraphPassesTest, DepthwiseScaleFollowsChannelMultiplier) {
  // Depthwise weights [KH=2, KW=2, C=2, M=3]: output channel c * M + m.
  const int KH = 2, KW = 2, C = 2, M = 3;
  std::vector<float> w = sequence(KH * KW * C * M, -0.5f, 0.13f);
  std::vector<float> s = {0.5f, 1.5f, -2.0f, 0.3f, 7.0f, -0.1f};
  std::string ir = R"(
    func.func @main(%x: tensor<1x3x3x2xf32>) -> tensor<1x2x2x6xf32> {
      %w = "tosa.const"() <{value = )" +
                   dense(w, "tensor<2x2x2x3xf32>") + R"(}> : () -> tensor<2x2x2x3xf32>
      %b = "tosa.const"() <{value = dense<0.0> : tensor<6xf32>}> : () -> tensor<6xf32>
      %s = "tosa.const"() <{value = )" +
                   dense(s, "tensor<1x1x1x6xf32>") + R"(}> : () -> tensor<1x1x1x6xf32>
      %0 = tosa.depthwise_conv2d %x, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x3x3x2xf32>, tensor<2x2x2x3xf32>, tensor<6xf32>) -> tensor<1x2x2x6xf32>
      %1 = tosa.mul %0, %s {shift = 0 : i8} : (tensor<1x2x2x6xf32>, tensor<1x1x1x6xf32>) -> tensor<1x2x2x6xf32>
      return %1 : tensor<1x2x2x6xf32>
    })";
  OwningOpRef<ModuleOp> module = parse(ir);
  ASSERT_TRUE(module);
  PassManager pm(context.get());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnFoldIntoConvPass());
  ASSERT_TRUE(succeeded(pm.run(*module)));

  std::vector<double> folded = operandValues<tosa::DepthwiseConv2DOp>(*module, 1);
  ASSERT_EQ(folded.size(), w.size());
  for (int kh = 0; kh < KH; ++kh)
    for (int kw = 0; kw < KW; ++kw)
      for (int c = 0; c < C; ++c)
        for (int m = 0; m < M; ++m) {
          int index = ((kh * KW + kw) * C + c) * M + m;
          float expected = static_cast<float>(static_cast<double>(w[index]) * s[c * M + m]);
          EXPECT_EQ(static_cast<float>(folded[index]), expected) << "weight " << index;
        }
}

// The importer's form of conv -> BatchNorm -> relu6 -> depthwise -> BatchNorm
// through the whole graph phase: no transpose inside, BatchNorm folded, and
// the first conv's weights scaled per channel as the oracle says.
TEST_F(GraphPassesTest, GraphPhaseFoldsImportedBatchNorm) {
  std::vector<float> w = sequence(4 * 2, 0.25f, 0.5f); // OHWI [4,1,1,2]
  std::vector<float> s = {2.0f, 0.5f, -1.0f, 3.0f};
  std::string ir = R"(
    func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
      %nhwc = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
      %nchw = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
      %w = "tosa.const"() <{value = )" +
                   dense(w, "tensor<4x1x1x2xf32>") + R"(}> : () -> tensor<4x1x1x2xf32>
      %b = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
      %s = "tosa.const"() <{value = )" +
                   dense(s, "tensor<1x4x1x1xf32>") + R"(}> : () -> tensor<1x4x1x1xf32>
      %t = "tosa.const"() <{value = dense<0.5> : tensor<1x4x1x1xf32>}> : () -> tensor<1x4x1x1xf32>
      %dw = "tosa.const"() <{value = dense<1.0> : tensor<3x3x4x1xf32>}> : () -> tensor<3x3x4x1xf32>
      %0 = tosa.transpose %x, %nhwc : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
      %1 = tosa.conv2d %0, %w, %b {pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<4x1x1x2xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
      %2 = tosa.transpose %1, %nchw : (tensor<1x4x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x4xf32>
      %3 = tosa.mul %2, %s {shift = 0 : i8} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32>
      %4 = tosa.add %3, %t : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32>
      %5 = tosa.clamp %4 {min_fp = 0.0 : f32, max_fp = 6.0 : f32, min_int = 0 : i64, max_int = 6 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
      %6 = tosa.transpose %5, %nhwc : (tensor<1x4x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x4xf32>
      %7 = tosa.depthwise_conv2d %6, %dw, %b {pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x3x4x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
      %8 = tosa.transpose %7, %nchw : (tensor<1x4x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x4xf32>
      %9 = tosa.mul %8, %s {shift = 0 : i8} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32>
      return %9 : tensor<1x4x4x4xf32>
    })";
  OwningOpRef<ModuleOp> module = parse(ir);
  ASSERT_TRUE(module);
  ASSERT_TRUE(succeeded(kiln::runPipeline(*module, kiln::Phase::Graph)));

  // One transpose at the input, one at the output, none in between.
  func::FuncOp main = *module->getOps<func::FuncOp>().begin();
  int transposes = 0, elementwise = 0;
  main.walk([&](Operation *op) {
    if (auto transpose = dyn_cast<tosa::TransposeOp>(op)) {
      ++transposes;
      bool atInput = isa<BlockArgument>(transpose.getInput1());
      bool atOutput = llvm::all_of(transpose->getUsers(),
                                   [](Operation *user) { return isa<func::ReturnOp>(user); });
      EXPECT_TRUE(atInput || atOutput);
    }
    elementwise += isa<tosa::MulOp, tosa::AddOp>(op);
  });
  EXPECT_EQ(transposes, 2);
  EXPECT_EQ(elementwise, 0);

  std::vector<double> folded = operandValues<tosa::Conv2DOp>(*module, 1);
  ASSERT_EQ(folded.size(), w.size());
  for (int o = 0; o < 4; ++o)
    for (int i = 0; i < 2; ++i)
      EXPECT_EQ(static_cast<float>(folded[o * 2 + i]), w[o * 2 + i] * s[o]);
  std::vector<double> bias = operandValues<tosa::Conv2DOp>(*module, 2);
  ASSERT_EQ(bias.size(), 4u);
  for (int o = 0; o < 4; ++o)
    EXPECT_EQ(static_cast<float>(bias[o]), 0.5f);
}

// Weights round-trip through both storage forms, and a transpose moves
// elements where the index arithmetic says.
TEST_F(GraphPassesTest, ConstantUtilsReadWriteTranspose) {
  auto type = RankedTensorType::get({2, 3, 5}, Float32Type::get(context.get()));
  std::vector<double> values;
  for (int i = 0; i < 30; ++i)
    values.push_back(i * 0.5 - 3.0);
  ElementsAttr big = kiln::makeFloatConstant(type, values);
  EXPECT_TRUE(isa<DenseResourceElementsAttr>(big)); // 30 elements: a blob
  EXPECT_EQ(kiln::readAsDoubles(big), values);

  ElementsAttr transposed = kiln::transposeConstant(big, {2, 0, 1});
  ASSERT_TRUE(transposed);
  EXPECT_EQ(transposed.getShapedType().getShape(), ArrayRef<int64_t>({5, 2, 3}));
  std::vector<double> out = *kiln::readAsDoubles(transposed);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 5; ++c)
        EXPECT_EQ(out[(c * 2 + a) * 3 + b], values[(a * 3 + b) * 5 + c]);

  auto small = RankedTensorType::get({3}, Float16Type::get(context.get()));
  ElementsAttr half = kiln::makeFloatConstant(small, {1.0, 1.0 / 3.0, -65504.0});
  EXPECT_TRUE(isa<DenseElementsAttr>(half));
  std::vector<double> halfValues = *kiln::readAsDoubles(half);
  EXPECT_EQ(halfValues[0], 1.0);
  EXPECT_NEAR(halfValues[1], 1.0 / 3.0, 1.0 / 2048); // f16 has 11 significant bits
  EXPECT_EQ(halfValues[2], -65504.0);

  auto i8 = RankedTensorType::get({20}, IntegerType::get(context.get(), 8));
  std::vector<int64_t> ints;
  for (int i = 0; i < 20; ++i)
    ints.push_back(i * 13 - 128);
  ElementsAttr bytes = kiln::makeIntConstant(i8, ints);
  EXPECT_TRUE(isa<DenseResourceElementsAttr>(bytes));
  EXPECT_EQ(kiln::readAsInts(bytes), ints);

  // All equal: a splat, however many elements.
  auto wide = RankedTensorType::get({64, 64}, Float32Type::get(context.get()));
  ElementsAttr splat = kiln::makeFloatConstant(wide, std::vector<double>(64 * 64, 2.5));
  ASSERT_TRUE(isa<DenseElementsAttr>(splat));
  EXPECT_TRUE(cast<DenseElementsAttr>(splat).isSplat());
}

} // namespace
