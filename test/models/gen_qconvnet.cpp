//===- gen_qconvnet.cpp - A quantized convnet and its float original ------===//
//
// kiln-gen-qconvnet: writes a small QLinear convnet (ONNX opset 13, uint8
// activations, int8 per-channel weights, int32 biases) and, with
// --float-out, the float network it quantizes: the same graph with Conv,
// Relu and MatMul on the dequantized weights. Kiln's quantized e2e test
// (test/e2e/quantized.test.mjs) and the benchmark's quantized rows use them;
// no quantized model ships in a Debian or npm package, and PyPI is off limits.
//
// Graph (input `input` f32 [1,3,R,R] uniform in [-1, 1], output `logits`
// f32 [1,10]):
//   QuantizeLinear (scale 2/255, zero point 128)
//   5 x QLinearConv 3x3 (16, 32/2, 32, 64/2 channels/stride) then 1x1 (64),
//       pads 1, output zero point 0: uint8 saturation at 0 is the ReLU
//   DequantizeLinear, GlobalAveragePool, Flatten, QuantizeLinear
//   QLinearMatMul [1,64] x [64,10] (int8 weights), DequantizeLinear
// Weights: float uniform, He-scaled for activations of second moment 1
// after each ReLU (so each output scale 6/255 clips about 2% of values),
// quantized per output channel to int8 by max |w|; biases uniform in
// [-0.25, 0.25], quantized with scale x_scale * w_scale. The float model
// holds exactly the dequantized values.
//
//===----------------------------------------------------------------------===//
#include "test/models/OnnxModelBuilder.h"

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

using namespace kiln::models;

namespace {

constexpr const char *kTool = "kiln-gen-qconvnet";
constexpr float kActScale = 6.0f / 255.0f;   // ReLU outputs in [0, 6]
constexpr float kInputScale = 2.0f / 255.0f; // inputs in [-1, 1]
constexpr float kLogitScale = 8.0f / 255.0f; // logits in about [-4, 4]

[[noreturn]] void fail(const std::string &message) {
  std::cerr << kTool << ": error: " << message << "\n";
  std::exit(2);
}

struct Options {
  std::string out, floatOut;
  uint64_t seed = 0;
  int64_t resolution = 64;
};

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        fail(a + " needs a value");
      return argv[++i];
    };
    auto number = [&](const std::string &v, int64_t lo) {
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < lo || n > (1 << 20))
        fail(a + " must be an integer from " + std::to_string(lo) + ", not '" + v + "'");
      return static_cast<int64_t>(n);
    };
    if (a == "--out")
      o.out = value();
    else if (a == "--float-out")
      o.floatOut = value();
    else if (a == "--seed")
      o.seed = number(value(), 0);
    else if (a == "--resolution")
      o.resolution = number(value(), 8);
    else if (a == "--help") {
      std::cout << "usage: " << kTool
                << " --out Q.onnx [--float-out F.onnx] [--seed N] [--resolution R]\n";
      std::exit(0);
    } else
      fail("unknown option '" + a + "'");
  }
  if (o.out.empty())
    fail("--out is required");
  if (o.resolution % 4)
    fail("--resolution must be a multiple of 4");
  return o;
}

template <typename T>
std::string addInitializer(onnx::GraphProto &graph, const std::string &name, int32_t type,
                           const std::vector<int64_t> &dims, const std::vector<T> &values) {
  onnx::TensorProto &t = *graph.add_initializer();
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(
      std::string(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(T)));
  return name;
}

std::string scalarF(onnx::GraphProto &g, const std::string &name, float v) {
  return addInitializer<float>(g, name, onnx::TensorProto::FLOAT, {}, {v});
}
std::string scalarU8(onnx::GraphProto &g, const std::string &name, uint8_t v) {
  return addInitializer<uint8_t>(g, name, onnx::TensorProto::UINT8, {}, {v});
}

// One layer's weights, quantized per output channel: w ~ q * scale[o].
struct QWeights {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int32_t> bias; // in units of x_scale * scale[o]
};

QWeights makeWeights(Rng &rng, int64_t outs, int64_t fanIn, double var, float xScale,
                     bool withBias) {
  QWeights w;
  float bound = static_cast<float>(std::sqrt(3.0 * var)); // Var(U(-b, b)) = b^2 / 3
  std::vector<float> f(outs * fanIn);
  for (float &v : f)
    v = rng.uniform(-bound, bound);
  for (int64_t o = 0; o < outs; ++o) {
    float maxAbs = 1e-8f;
    for (int64_t i = 0; i < fanIn; ++i)
      maxAbs = std::max(maxAbs, std::fabs(f[o * fanIn + i]));
    float s = maxAbs / 127.0f;
    w.scale.push_back(s);
    for (int64_t i = 0; i < fanIn; ++i)
      w.q.push_back(static_cast<int8_t>(std::lrint(f[o * fanIn + i] / s)));
    if (withBias)
      w.bias.push_back(static_cast<int32_t>(std::lrint(rng.uniform(-0.25f, 0.25f) / (xScale * s))));
  }
  return w;
}

std::vector<float> dequantized(const QWeights &w, int64_t fanIn) {
  std::vector<float> f;
  for (size_t i = 0; i < w.q.size(); ++i)
    f.push_back(w.q[i] * w.scale[i / fanIn]);
  return f;
}

void setConvAttrs(onnx::NodeProto &n, int64_t k, int64_t stride) {
  setIntsAttr(n, "kernel_shape", {k, k});
  setIntsAttr(n, "strides", {stride, stride});
  int64_t p = k / 2;
  setIntsAttr(n, "pads", {p, p, p, p});
}

// Writes both graphs layer by layer from the same weights.
void build(const Options &o, onnx::GraphProto &q, onnx::GraphProto *f) {
  Rng rng(o.seed);
  int64_t r = o.resolution;
  addFloatInput(q, "input", {1, 3, r, r});
  addFloatOutput(q, "logits", {1, 10});
  if (f) {
    addFloatInput(*f, "input", {1, 3, r, r});
    addFloatOutput(*f, "logits", {1, 10});
  }
  std::string xs = scalarF(q, "input_scale", kInputScale);
  addNode(q, "QuantizeLinear", "quantize", {"input", xs, scalarU8(q, "input_zp", 128)}, {"x0"});
  std::string qx = "x0", fx = "input";
  std::string actScale = scalarF(q, "act_scale", kActScale), actZp = scalarU8(q, "act_zp", 0);
  float xScale = kInputScale;
  double m = 1.0 / 3.0; // second moment of the layer's input
  struct Layer {
    int64_t outs, k, stride;
  };
  const Layer layers[] = {{16, 3, 1}, {32, 3, 2}, {32, 3, 1}, {64, 3, 2}, {64, 1, 1}};
  int64_t ins = 3;
  int li = 0;
  for (const Layer &l : layers) {
    std::string p = "conv" + std::to_string(li++);
    int64_t fanIn = ins * l.k * l.k;
    QWeights w = makeWeights(rng, l.outs, fanIn, 2.0 / (fanIn * m), xScale, true);
    std::vector<int64_t> wDims = {l.outs, ins, l.k, l.k};
    std::string wq = addInitializer(q, p + "_w", onnx::TensorProto::INT8, wDims, w.q);
    std::string ws = addInitializer(q, p + "_w_scale", onnx::TensorProto::FLOAT, {l.outs}, w.scale);
    std::string wz = addInitializer(q, p + "_w_zp", onnx::TensorProto::INT8, {l.outs},
                                    std::vector<int8_t>(l.outs, 0));
    std::string b = addInitializer(q, p + "_b", onnx::TensorProto::INT32, {l.outs}, w.bias);
    auto &n = addNode(
        q, "QLinearConv", p,
        {qx, li == 1 ? xs : actScale, li == 1 ? "input_zp" : actZp, wq, ws, wz, actScale, actZp, b},
        {p + "_y"});
    setConvAttrs(n, l.k, l.stride);
    if (f) {
      std::vector<float> fb;
      for (int64_t c = 0; c < l.outs; ++c)
        fb.push_back(w.bias[c] * (xScale * w.scale[c]));
      auto &fn = addNode(*f, "Conv", p,
                         {fx, addFloatInitializer(*f, p + "_w", wDims, dequantized(w, fanIn)),
                          addFloatInitializer(*f, p + "_b", {l.outs}, fb)},
                         {p + "_conv"});
      setConvAttrs(fn, l.k, l.stride);
      addNode(*f, "Relu", p + "_relu", {p + "_conv"}, {p + "_y"});
      fx = p + "_y";
    }
    qx = p + "_y";
    ins = l.outs;
    xScale = kActScale;
    m = 1.0;
  }
  // Classifier: average, then a quantized [64, 10] product.
  addNode(q, "DequantizeLinear", "dequantize", {qx, actScale, actZp}, {"features"});
  addNode(q, "GlobalAveragePool", "pool", {"features"}, {"pooled"});
  addNode(q, "Flatten", "flatten", {"pooled"}, {"flat"});
  addNode(q, "QuantizeLinear", "quantize_flat", {"flat", actScale, actZp}, {"flat_q"});
  // Pooled ReLU outputs: mean about 0.4, second moment about 0.3.
  QWeights w = makeWeights(rng, 10, ins, 1.0 / (ins * 0.3), xScale, false);
  // MatMul's B is [K, N]: transpose the [N, K] rows; one scale per tensor.
  float s = *std::max_element(w.scale.begin(), w.scale.end());
  std::vector<int8_t> bq(ins * 10);
  std::vector<float> bf(ins * 10);
  for (int64_t n = 0; n < 10; ++n)
    for (int64_t k = 0; k < ins; ++k) {
      float v = w.q[n * ins + k] * w.scale[n];
      bq[k * 10 + n] = static_cast<int8_t>(std::lrint(v / s));
      bf[k * 10 + n] = bq[k * 10 + n] * s;
    }
  addNode(q, "QLinearMatMul", "classifier",
          {"flat_q", actScale, actZp,
           addInitializer(q, "fc_w", onnx::TensorProto::INT8, {ins, 10}, bq),
           scalarF(q, "fc_w_scale", s),
           addInitializer<int8_t>(q, "fc_w_zp", onnx::TensorProto::INT8, {}, {0}),
           scalarF(q, "logit_scale", kLogitScale), scalarU8(q, "logit_zp", 128)},
          {"logits_q"});
  addNode(q, "DequantizeLinear", "dequantize_logits", {"logits_q", "logit_scale", "logit_zp"},
          {"logits"});
  if (f) {
    addNode(*f, "GlobalAveragePool", "pool", {fx}, {"pooled"});
    addNode(*f, "Flatten", "flatten", {"pooled"}, {"flat"});
    addNode(*f, "MatMul", "classifier", {"flat", addFloatInitializer(*f, "fc_w", {ins, 10}, bf)},
            {"logits"});
  }
}

void write(onnx::ModelProto &model, const std::string &path) {
  if (std::string error = writeCheckedModel(model, path); !error.empty())
    fail(error);
}

onnx::ModelProto newModel(const std::string &name) {
  onnx::ModelProto model;
  model.set_ir_version(7); // the IR version that goes with opset 13
  model.set_producer_name(kTool);
  model.set_producer_version("1");
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  model.mutable_graph()->set_name(name);
  return model;
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);
  onnx::ModelProto q = newModel("qconvnet"), f = newModel("qconvnet_float");
  build(options, *q.mutable_graph(), options.floatOut.empty() ? nullptr : f.mutable_graph());
  write(q, options.out);
  if (!options.floatOut.empty())
    write(f, options.floatOut);
  return 0;
}
