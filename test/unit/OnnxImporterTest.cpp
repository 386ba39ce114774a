//===- OnnxImporterTest.cpp - what lit cannot see of the ONNX importer ----===//
//
// Weights must reach the IR bit for bit (every float pattern: NaN payloads,
// -0, denormals), re-laid out where the layout changes; the host-side Literal
// operations behind that must be exact; --input-shape parsing must accept and
// reject the right things.
//
//===----------------------------------------------------------------------===//
#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/onnx/Literal.h"
#include "compiler/pipeline/Pipeline.h"
#include "fuzz/FuzzInputs.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <random>

using namespace mlir;
using kiln::onnx_import::Literal;

namespace {

// Random 32-bit patterns, with the awkward ones forced in.
std::vector<uint32_t> randomBits(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint32_t> bits(count);
  for (uint32_t &b : bits)
    b = rng();
  const uint32_t special[] = {0x80000000u /* -0 */, 0x7fc12345u /* NaN payload */,
                              0x00000001u /* denormal */, 0x7f800000u /* inf */};
  for (size_t i = 0; i < std::size(special) && i < count; ++i)
    bits[i * 7 % count] = special[i];
  return bits;
}

onnx::TensorProto floatTensor(const std::string &name, std::vector<int64_t> dims,
                              const std::vector<uint32_t> &bits) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char *>(bits.data()), bits.size() * 4));
  return t;
}

void addValueInfo(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> *list,
                  const std::string &name, std::vector<int64_t> dims) {
  auto *info = list->Add();
  info->set_name(name);
  auto *tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    tensor->mutable_shape()->add_dim()->set_dim_value(d);
}

class OnnxImporterTest : public ::testing::Test {
protected:
  void SetUp() override {
    kiln::registerDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
  }

  // Writes `model` to a temporary .onnx file and imports it.
  OwningOpRef<ModuleOp> import(const onnx::ModelProto &model) {
    llvm::SmallString<128> path;
    EXPECT_FALSE(llvm::sys::fs::createTemporaryFile("kiln-import", "onnx", path));
    {
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      EXPECT_FALSE(ec);
      os << model.SerializeAsString();
    }
    auto module = kiln::importOnnxFile(*context, path, {});
    llvm::sys::fs::remove(path);
    if (!module) {
      ADD_FAILURE() << llvm::toString(module.takeError());
      return nullptr;
    }
    return std::move(*module);
  }

  // The bytes of the dense_resource constant of `shape`, or empty.
  std::vector<char> resourceBytes(ModuleOp module, llvm::ArrayRef<int64_t> shape) {
    std::vector<char> bytes;
    module.walk([&](tosa::ConstOp op) {
      auto attr = dyn_cast<DenseResourceElementsAttr>(op.getValue());
      if (!attr || attr.getType().getShape() != shape)
        return;
      AsmResourceBlob *blob = attr.getRawHandle().getBlob();
      EXPECT_TRUE(blob);
      llvm::ArrayRef<char> data = blob->getData();
      bytes.assign(data.begin(), data.end());
    });
    return bytes;
  }

  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
};

onnx::ModelProto singleNodeModel(const std::string &opType, std::vector<int64_t> xShape,
                                 std::vector<int64_t> yShape) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  auto *graph = model.mutable_graph();
  graph->set_name("g");
  auto *node = graph->add_node();
  node->set_op_type(opType);
  node->add_input("x");
  node->add_input("w");
  node->add_output("y");
  addValueInfo(graph->mutable_input(), "x", xShape);
  addValueInfo(graph->mutable_output(), "y", yShape);
  return model;
}

TEST_F(OnnxImporterTest, MatMulWeightsReachTheBlobBitExact) {
  const int64_t k = 37, n = 53;
  std::vector<uint32_t> bits = randomBits(k * n, 1);
  onnx::ModelProto model = singleNodeModel("MatMul", {4, k}, {4, n});
  *model.mutable_graph()->add_initializer() = floatTensor("w", {k, n}, bits);
  OwningOpRef<ModuleOp> module = import(model);
  ASSERT_TRUE(module);
  std::vector<char> bytes = resourceBytes(*module, {1, k, n});
  ASSERT_EQ(bytes.size(), bits.size() * 4);
  EXPECT_EQ(std::memcmp(bytes.data(), bits.data(), bytes.size()), 0);
}

TEST_F(OnnxImporterTest, ConvWeightsAreReLaidOutBitExact) {
  const int64_t o = 5, i = 3, kh = 3, kw = 2;
  std::vector<uint32_t> bits = randomBits(o * i * kh * kw, 2);
  onnx::ModelProto model = singleNodeModel("Conv", {1, i, 6, 6}, {1, o, 4, 5});
  *model.mutable_graph()->add_initializer() = floatTensor("w", {o, i, kh, kw}, bits);
  OwningOpRef<ModuleOp> module = import(model);
  ASSERT_TRUE(module);
  // OIHW -> OHWI, element by element, computed independently here.
  std::vector<char> bytes = resourceBytes(*module, {o, kh, kw, i});
  ASSERT_EQ(bytes.size(), bits.size() * 4);
  const uint32_t *got = reinterpret_cast<const uint32_t *>(bytes.data());
  for (int64_t a = 0; a < o; ++a)
    for (int64_t b = 0; b < i; ++b)
      for (int64_t c = 0; c < kh; ++c)
        for (int64_t d = 0; d < kw; ++d)
          ASSERT_EQ(got[((a * kh + c) * kw + d) * i + b], bits[((a * i + b) * kh + c) * kw + d])
              << "at o=" << a << " i=" << b << " h=" << c << " w=" << d;
}

TEST_F(OnnxImporterTest, DepthwiseWeightsBecomeKhKwCM) {
  const int64_t c = 4, m = 2, kh = 3, kw = 3;
  std::vector<uint32_t> bits = randomBits(c * m * kh * kw, 3);
  onnx::ModelProto model = singleNodeModel("Conv", {1, c, 5, 5}, {1, c * m, 3, 3});
  auto *group = model.mutable_graph()->mutable_node(0)->add_attribute();
  group->set_name("group");
  group->set_type(onnx::AttributeProto::INT);
  group->set_i(c);
  *model.mutable_graph()->add_initializer() = floatTensor("w", {c * m, 1, kh, kw}, bits);
  OwningOpRef<ModuleOp> module = import(model);
  ASSERT_TRUE(module);
  std::vector<char> bytes = resourceBytes(*module, {kh, kw, c, m});
  ASSERT_EQ(bytes.size(), bits.size() * 4);
  const uint32_t *got = reinterpret_cast<const uint32_t *>(bytes.data());
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t mm = 0; mm < m; ++mm)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          ASSERT_EQ(got[((y * kw + x) * c + ch) * m + mm], bits[((ch * m + mm) * kh + y) * kw + x]);
}

// Weights stored beside the model (ONNX external data) are read from the
// model's directory, at their offset, bit-exact.
TEST_F(OnnxImporterTest, ExternalDataIsReadBesideTheModel) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("kiln-external", dir));
  const int64_t k = 8, n = 5;
  std::vector<uint32_t> bits = randomBits(k * n, 4);
  {
    std::error_code ec;
    llvm::raw_fd_ostream data((dir + "/weights.bin").str(), ec);
    ASSERT_FALSE(ec);
    data << "pad!"; // the tensor starts at offset 4
    data.write(reinterpret_cast<const char *>(bits.data()), bits.size() * 4);
  }
  onnx::ModelProto model = singleNodeModel("MatMul", {2, k}, {2, n});
  onnx::TensorProto *w = model.mutable_graph()->add_initializer();
  *w = floatTensor("w", {k, n}, {});
  w->clear_raw_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto addEntry = [&](const char *key, const std::string &value) {
    auto *entry = w->add_external_data();
    entry->set_key(key);
    entry->set_value(value);
  };
  addEntry("location", "weights.bin");
  addEntry("offset", "4");
  addEntry("length", std::to_string(bits.size() * 4));
  std::string path = (dir + "/model.onnx").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << model.SerializeAsString();
  }
  auto module = kiln::importOnnxFile(*context, path, {});
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  std::vector<char> bytes = resourceBytes(**module, {1, k, n});
  ASSERT_EQ(bytes.size(), bits.size() * 4);
  EXPECT_EQ(std::memcmp(bytes.data(), bits.data(), bytes.size()), 0);

  // A location outside the model's directory is refused with its name.
  w->mutable_external_data(0)->set_value("../weights.bin");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << model.SerializeAsString();
  }
  auto outside = kiln::importOnnxFile(*context, path, {});
  ASSERT_FALSE(bool(outside));
  std::string message = llvm::toString(outside.takeError());
  EXPECT_NE(message.find("model.onnx: "), std::string::npos) << message;
  EXPECT_NE(message.find("../weights.bin"), std::string::npos) << message;
  llvm::sys::fs::remove_directories(dir);
}

TEST(OnnxLiteral, TypedProtoFieldsAndRawDataAgree) {
  onnx::TensorProto typed;
  typed.set_name("t");
  typed.set_data_type(onnx::TensorProto::INT64);
  typed.add_dims(3);
  for (int64_t v : {int64_t(7), int64_t(-1), int64_t(1) << 40})
    typed.add_int64_data(v);
  auto lit = Literal::fromTensorProto(typed, "");
  ASSERT_TRUE(bool(lit)) << llvm::toString(lit.takeError());
  EXPECT_EQ(lit->toInts(), (std::vector<int64_t>{7, -1, int64_t(1) << 40}));

  // float16 values travel as bit patterns in int32_data.
  onnx::TensorProto half;
  half.set_name("h");
  half.set_data_type(onnx::TensorProto::FLOAT16);
  half.add_dims(2);
  half.add_int32_data(0x3e00); // 1.5
  half.add_int32_data(0xc000); // -2
  auto h = Literal::fromTensorProto(half, "");
  ASSERT_TRUE(bool(h));
  EXPECT_EQ(h->toDoubles(), (std::vector<double>{1.5, -2.0}));

  onnx::TensorProto shortData = typed;
  shortData.clear_int64_data();
  shortData.add_int64_data(1);
  auto bad = Literal::fromTensorProto(shortData, "");
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "tensor 't' holds 1 values, but its shape [3] needs 3");
}

TEST(OnnxLiteral, DataMovementMatchesIndexArithmetic) {
  std::vector<int64_t> values(2 * 3 * 4);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = i;
  Literal x = Literal::fromInts(kiln::onnx_import::kInt32, {2, 3, 4}, values);

  Literal t = x.transposed({2, 0, 1}); // [4, 2, 3]
  ASSERT_EQ(t.shape(), llvm::ArrayRef<int64_t>({4, 2, 3}));
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t c = 0; c < 3; ++c)
        EXPECT_EQ(t.intAt((a * 2 + b) * 3 + c), (b * 3 + c) * 4 + a);

  // Columns 3, 1 of every row (negative step).
  Literal s = x.strided({0, 0, 3}, {1, 1, -2}, {2, 3, 2});
  EXPECT_EQ(s.intAt(0), 3);
  EXPECT_EQ(s.intAt(1), 1);
  EXPECT_EQ(s.intAt(11), 21);

  Literal row = Literal::fromInts(kiln::onnx_import::kInt32, {1, 4}, {10, 20, 30, 40});
  Literal b = row.broadcastTo({2, 3, 4});
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(b.intAt(i), 10 * (i % 4 + 1));

  const Literal *parts[] = {&x, &x};
  Literal cat = Literal::concat(parts, 1); // [2, 6, 4]
  EXPECT_EQ(cat.intAt(3 * 4), 0);          // second copy of row 0
  EXPECT_EQ(cat.intAt(6 * 4), 12);         // batch 1 starts with x[1][0][0]

  Literal g = x.gather({2, 0}, {2}, 1); // [2, 2, 4]
  EXPECT_EQ(g.intAt(0), 8);
  EXPECT_EQ(g.intAt(4), 0);
  EXPECT_EQ(g.intAt(8), 20);

  Literal f = x.castTo(kiln::onnx_import::kFloat16).castTo(kiln::onnx_import::kInt64);
  EXPECT_EQ(f.toInts(), values);
}

TEST(InputShapeTest, ParsesAndRejects) {
  kiln::OnnxImportOptions options;
  ASSERT_FALSE(bool(options.addInputShape("input:0=1x3x224x224")));
  EXPECT_EQ(options.inputShapes["input:0"], (std::vector<int64_t>{1, 3, 224, 224}));
  for (const char *bad : {"x", "=1", "x=", "x=1x", "x=-1", "x=0", "x=1.5", "x=1,2"}) {
    llvm::Error err = options.addInputShape(bad);
    EXPECT_TRUE(bool(err)) << bad;
    llvm::consumeError(std::move(err));
  }
  llvm::Error twice = options.addInputShape("input:0=1x3x224x224");
  ASSERT_TRUE(bool(twice));
  EXPECT_NE(llvm::toString(std::move(twice)).find("more than once"), std::string::npos);
}

// Inputs the fuzzers once broke the importer with (fuzz/regressions/onnx,
// onnx-text): each must now import or fail with a clean message, here in the
// normal build as in the fuzz build.
TEST(FuzzRegressions, OnnxInputsImportOrFailCleanly) {
  for (const char *target : {"onnx", "onnx-text"}) {
    size_t count = 0;
    for (const std::string &problem : kiln::fuzz::replayRegressions(target, count))
      ADD_FAILURE() << problem;
    std::cout << "[ replayed ] " << count << " " << target << " inputs\n";
  }
}

} // namespace
