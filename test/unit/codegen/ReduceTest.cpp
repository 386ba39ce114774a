//===- ReduceTest.cpp - reduce_* and argmax via JIT -----------------------===//
//
// Reference: direct loops along each axis of a rank-4 tensor. Tolerance:
// max/min/argmax exact; sums atol 1e-5 rtol 1e-5; products rtol 1e-5.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "llvm/Support/FormatVariadic.h"

using namespace kiln::codegen;
using namespace kiln::jit;
using kiln::DType;
using namespace kiln::codegen::testing;

namespace {

class ReduceTest : public CodegenTest {};

const std::vector<int64_t> kShape = {2, 3, 4, 5};

// Visits every output index of a reduction along `axis` (kept with size 1)
// with the input indices it reduces over.
template <typename Fn> void forEachReduction(int axis, Fn fn) {
  std::vector<int64_t> out = kShape;
  out[axis] = 1;
  for (int64_t a = 0; a < out[0]; ++a)
    for (int64_t b = 0; b < out[1]; ++b)
      for (int64_t c = 0; c < out[2]; ++c)
        for (int64_t d = 0; d < out[3]; ++d) {
          std::vector<int64_t> idx = {a, b, c, d};
          std::vector<int64_t> flat;
          for (int64_t r = 0; r < kShape[axis]; ++r) {
            std::vector<int64_t> i = idx;
            i[axis] = r;
            flat.push_back(flatIndex(kShape, i));
          }
          fn(flat);
        }
}

TEST_F(ReduceTest, ReductionsMatchReference) {
  HostTensor in = randomF32(kShape, 31, 0.5f, 1.5f);
  for (int axis = 0; axis < 4; ++axis)
    for (std::string op : {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod"}) {
      SCOPED_TRACE(op + " axis " + std::to_string(axis));
      std::vector<int64_t> outShape = kShape;
      outShape[axis] = 1;
      std::string out = tensorType(outShape);
      std::string ir =
          kernelModel({{tensorType(kShape)}},
                      llvm::formatv("    %r = tosa.{0} %b0 {{axis = {1} : i32} : ({2}) "
                                    "-> {3}",
                                    op, axis, tensorType(kShape), out)
                          .str(),
                      out);
      std::vector<float> want;
      forEachReduction(axis, [&](const std::vector<int64_t> &flat) {
        const float *x = in.as<float>();
        double acc = op == "reduce_prod" ? 1 : op == "reduce_sum" ? 0 : x[flat[0]];
        for (int64_t f : flat) {
          if (op == "reduce_sum")
            acc += x[f];
          else if (op == "reduce_prod")
            acc *= x[f];
          else if (op == "reduce_max")
            acc = std::max<double>(acc, x[f]);
          else
            acc = std::min<double>(acc, x[f]);
        }
        want.push_back(acc);
      });
      auto got = run(ir, {in});
      ASSERT_EQ(got.size(), 1u);
      expectClose(got[0], want, 1e-5f, 1e-5f);
    }
}

TEST_F(ReduceTest, ArgMaxTakesTheFirstMaximum) {
  // Values from a small integer range so that ties happen.
  HostTensor ints = randomI32(kShape, 32, 0, 3);
  HostTensor in = HostTensor::zeros("x", DType::F32, kShape);
  for (int64_t i = 0; i < in.numElements(); ++i)
    in.as<float>()[i] = ints.as<int32_t>()[i];
  for (int axis = 0; axis < 4; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    std::vector<int64_t> outShape;
    for (int d = 0; d < 4; ++d)
      if (d != axis)
        outShape.push_back(kShape[d]);
    std::string out = tensorType(outShape, "i32");
    std::string ir =
        kernelModel({{tensorType(kShape)}},
                    llvm::formatv("    %r = tosa.argmax %b0 {{axis = {0} : i32} : ({1}) "
                                  "-> {2}",
                                  axis, tensorType(kShape), out)
                        .str(),
                    out);
    HostTensor want = HostTensor::zeros("want", DType::I32, outShape);
    int64_t k = 0;
    forEachReduction(axis, [&](const std::vector<int64_t> &flat) {
      int best = 0;
      for (size_t r = 1; r < flat.size(); ++r)
        if (in.as<float>()[flat[r]] > in.as<float>()[flat[best]])
          best = r;
      want.as<int32_t>()[k++] = best;
    });
    auto got = run(ir, {in});
    ASSERT_EQ(got.size(), 1u);
    expectEqual(got[0], want);
  }
}

TEST_F(ReduceTest, ReduceAllAndAnyOnBooleans) {
  HostTensor ints = randomI32({3, 4}, 33, 0, 3);
  HostTensor in = HostTensor::zeros("x", DType::Bool, {3, 4});
  for (int64_t i = 0; i < 12; ++i)
    in.data[i] = ints.as<int32_t>()[i] != 0; // mostly true
  for (std::string op : {"reduce_all", "reduce_any"}) {
    std::string ir = kernelModel({{"tensor<3x4xi1>"}},
                                 "    %r = tosa." + op +
                                     " %b0 {axis = 1 : i32} : (tensor<3x4xi1>) -> tensor<3x1xi1>",
                                 "tensor<3x1xi1>");
    HostTensor want = HostTensor::zeros("want", DType::Bool, {3, 1});
    for (int64_t r = 0; r < 3; ++r) {
      bool all = true, any = false;
      for (int64_t c = 0; c < 4; ++c) {
        all = all && in.data[r * 4 + c];
        any = any || in.data[r * 4 + c];
      }
      want.data[r] = op == "reduce_all" ? all : any;
    }
    auto got = run(ir, {in});
    ASSERT_EQ(got.size(), 1u);
    expectEqual(got[0], want);
  }
}

} // namespace
