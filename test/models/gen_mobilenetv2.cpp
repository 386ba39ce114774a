//===- gen_mobilenetv2.cpp - Writes MobileNetV2 as an ONNX model ----------===//
//
// kiln-gen-mobilenetv2: writes MobileNetV2 (Sandler et al. 2018, the layout
// of torchvision's `mobilenet_v2`) as an ONNX opset-13 model, with BatchNorm
// already folded into the convolutions and fixed-seed random weights. No model
// of it ships in any Debian or npm package, and PyPI is off limits, so Kiln's
// tests and benchmarks generate it here; every runtime then gets the same file.
//
// Graph: input `input` f32 [1,3,R,R] (NCHW), output `output` f32 [1,1000].
//   features.0      Conv 3x3/2 -> 32, Clip(0,6)
//   features.1..17  inverted residual blocks (t,c,n,s) = (1,16,1,1)
//                   (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2)
//                   (6,320,1,1): [1x1 expand, Clip] 3x3 depthwise, Clip,
//                   1x1 project (linear), Add of the block input when the
//                   stride is 1 and the channel counts match
//   features.18     Conv 1x1 -> 1280, Clip(0,6)
//   classifier      GlobalAveragePool, Flatten, Gemm (transB=1) -> 1000
// ReLU6 is Clip with min/max as inputs (opset 11+), as PyTorch exports it.
// Convolutions carry a bias (where folded BatchNorm puts it); no BN nodes.
//
// Weights: uniform, zero mean, scaled He-style so that activations stay O(1)
// all the way down (random weights of a fixed scale would blow up or vanish
// over 52 layers, and then tolerances "relative to the output range" would
// mean nothing). The generator tracks the expected second moment m of every
// tensor, starting from inputs uniform in [-1, 1] (m = 1/3), and gives each
// layer Var(w) = target / (fan_in * m_in), where target is:
//   - kActSigma^2 = 9 before a ReLU6, so about 2% of values clip at 6 and the
//     upper bound of the Clip is exercised, not only the lower;
//   - 1 for a projection (linear bottleneck), 0.5 for one on a residual
//     branch, so a stage of n blocks ends near 1 + 0.5 (n - 1), not 2^n;
//   - 1 for the classifier's logits.
// Biases are uniform in [-0.25, 0.25], small but large enough that a dropped
// bias shows far above a 1e-4-of-range tolerance.
//
// Determinism: our own RNG (test/models/OnnxModelBuilder.h), one stream in
// graph order, and deterministic protobuf serialisation: the same options give
// the same bytes on every run.
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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

using namespace kiln::models;

namespace {

constexpr const char *kTool = "kiln-gen-mobilenetv2";
constexpr double kActSigma = 3.0;                // pre-activation std before ReLU6
constexpr double kResidualBranchVar = 0.5;       // projection on a residual branch
constexpr double kInputSecondMoment = 1.0 / 3.0; // inputs uniform in [-1, 1]
constexpr float kBiasBound = 0.25f;

struct Options {
  std::string out;
  uint64_t seed = 0;
  int64_t resolution = 224;
  double width = 1.0;
  bool exposeIntermediates = false;
};

[[noreturn]] void fail(const std::string &message) {
  std::cerr << kTool << ": error: " << message << "\n";
  std::exit(1);
}

/// First and second moments of ReLU6(x) for x ~ N(0, sigma^2): Simpson's rule
/// over [0, 6] plus the clipped tail, which sits at 6.
struct Moments {
  double mean, second;
};
Moments relu6Moments(double sigma) {
  const int steps = 600; // even; error far below what the scaling needs
  const double h = 6.0 / steps;
  double m1 = 0, m2 = 0;
  for (int i = 0; i <= steps; ++i) {
    double x = i * h;
    double pdf = std::exp(-0.5 * x * x / (sigma * sigma)) / (sigma * std::sqrt(2 * M_PI));
    double w = (i == 0 || i == steps) ? 1 : (i % 2 ? 4 : 2);
    m1 += w * x * pdf;
    m2 += w * x * x * pdf;
  }
  double tail = 0.5 * std::erfc(6.0 / (sigma * std::sqrt(2.0)));
  return {m1 * h / 3 + 6 * tail, m2 * h / 3 + 36 * tail};
}

/// torchvision's _make_divisible: channel counts rounded to multiples of 8,
/// never more than 10% down.
int64_t makeDivisible(double v) {
  int64_t r = std::max<int64_t>(8, static_cast<int64_t>(v + 4) / 8 * 8);
  return r < 0.9 * v ? r + 8 : r;
}

/// A tensor in the graph: its name, NCHW shape (batch 1) and the expected
/// second moment of its elements.
struct Value {
  std::string name;
  int64_t c, h, w;
  double m;
};

class MobileNetV2Writer {
public:
  MobileNetV2Writer(const Options &options, onnx::GraphProto &graph)
      : options(options), graph(graph), rng(options.seed) {}

  void build() {
    int64_t r = options.resolution;
    addFloatInput(graph, "input", {1, 3, r, r});
    // Shared Clip bounds, as exporters write them.
    addFloatInitializer(graph, "relu6.min", {}, {0.0f});
    addFloatInitializer(graph, "relu6.max", {}, {6.0f});

    Value x{"input", 3, r, r, kInputSecondMoment};
    x = convRelu6("features.0", x, makeDivisible(32 * options.width), 3, 2, 1);
    expose(x);
    // (t, c, n, s): expansion, output channels, repeats, stride of the first
    // repeat (the paper's Table 2).
    static const int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2},
                                           {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2},
                                           {6, 320, 1, 1}};
    int index = 1;
    for (const auto &s : settings) {
      int64_t outC = makeDivisible(s[1] * options.width);
      for (int64_t i = 0; i < s[2]; ++i, ++index) {
        x = invertedResidual("features." + std::to_string(index), x, outC, i == 0 ? s[3] : 1, s[0]);
        expose(x);
      }
    }
    int64_t lastC = makeDivisible(1280 * std::max(1.0, options.width));
    x = convRelu6("features." + std::to_string(index), x, lastC, 1, 1, 1);
    expose(x);
    classifier(x);
  }

private:
  /// Conv with bias whose output has variance `targetVar` (see the header);
  /// its result is `outName`, or `<name>.conv` when that is empty.
  Value conv(const std::string &name, const Value &in, int64_t outC, int64_t k, int64_t stride,
             int64_t group, double targetVar, std::string outName = "") {
    if (outName.empty())
      outName = name + ".conv";
    int64_t fanIn = in.c / group * k * k;
    float bound = static_cast<float>(std::sqrt(3.0 * targetVar / (fanIn * in.m)));
    std::vector<float> w(outC * fanIn), b(outC);
    for (float &v : w)
      v = rng.uniform(-bound, bound);
    for (float &v : b)
      v = rng.uniform(-kBiasBound, kBiasBound);
    addFloatInitializer(graph, name + ".weight", {outC, in.c / group, k, k}, w);
    addFloatInitializer(graph, name + ".bias", {outC}, b);
    int64_t pad = k / 2;
    onnx::NodeProto &node = addNode(graph, "Conv", name + "/Conv",
                                    {in.name, name + ".weight", name + ".bias"}, {outName});
    setIntsAttr(node, "dilations", {1, 1});
    setIntAttr(node, "group", group);
    setIntsAttr(node, "kernel_shape", {k, k});
    setIntsAttr(node, "pads", {pad, pad, pad, pad});
    setIntsAttr(node, "strides", {stride, stride});
    int64_t h = (in.h + 2 * pad - k) / stride + 1, w2 = (in.w + 2 * pad - k) / stride + 1;
    return {outName, outC, h, w2, targetVar};
  }

  Value relu6(const std::string &name, const Value &in) {
    addNode(graph, "Clip", name + "/Clip", {in.name, "relu6.min", "relu6.max"}, {name});
    return {name, in.c, in.h, in.w, relu6Moments(std::sqrt(in.m)).second};
  }

  Value convRelu6(const std::string &name, const Value &in, int64_t outC, int64_t k, int64_t stride,
                  int64_t group) {
    return relu6(name, conv(name, in, outC, k, stride, group, kActSigma * kActSigma));
  }

  Value invertedResidual(const std::string &name, const Value &in, int64_t outC, int64_t stride,
                         int64_t expand) {
    bool residual = stride == 1 && in.c == outC;
    int64_t hidden = static_cast<int64_t>(std::llround(in.c * static_cast<double>(expand)));
    Value x = in;
    if (expand != 1)
      x = convRelu6(name + ".expand", x, hidden, 1, 1, 1);
    x = convRelu6(name + ".dw", x, hidden, 3, stride, hidden);
    // Each block's result is named after the block, `features.<i>`.
    if (!residual)
      return conv(name + ".project", x, outC, 1, 1, 1, 1.0, name);
    x = conv(name + ".project", x, outC, 1, 1, 1, kResidualBranchVar);
    addNode(graph, "Add", name + "/Add", {in.name, x.name}, {name});
    return {name, outC, x.h, x.w, in.m + x.m};
  }

  void classifier(const Value &in) {
    addNode(graph, "GlobalAveragePool", "classifier/GlobalAveragePool", {in.name}, {"pooled"});
    setIntAttr(addNode(graph, "Flatten", "classifier/Flatten", {"pooled"}, {"flat"}), "axis", 1);
    // Averaging over the spatial positions leaves mostly the per-channel mean,
    // so the pooled second moment is about E[ReLU6(x)]^2.
    double mean = relu6Moments(kActSigma).mean;
    const int64_t classes = 1000;
    float bound = static_cast<float>(std::sqrt(3.0 / (in.c * mean * mean)));
    std::vector<float> w(classes * in.c), b(classes);
    for (float &v : w)
      v = rng.uniform(-bound, bound);
    for (float &v : b)
      v = rng.uniform(-kBiasBound, kBiasBound);
    addFloatInitializer(graph, "classifier.weight", {classes, in.c}, w);
    addFloatInitializer(graph, "classifier.bias", {classes}, b);
    onnx::NodeProto &gemm = addNode(graph, "Gemm", "classifier/Gemm",
                                    {"flat", "classifier.weight", "classifier.bias"}, {"output"});
    setFloatAttr(gemm, "alpha", 1.0f);
    setFloatAttr(gemm, "beta", 1.0f);
    setIntAttr(gemm, "transB", 1);
    addFloatOutput(graph, "output", {1, classes});
  }

  /// With --expose-intermediates, each block's output is also a graph output,
  /// so a mismatch against ONNX Runtime can be traced to the first bad block.
  void expose(const Value &v) {
    if (options.exposeIntermediates)
      addFloatOutput(graph, v.name, {1, v.c, v.h, v.w});
  }

  const Options &options;
  onnx::GraphProto &graph;
  Rng rng;
};

void usage(std::ostream &os) {
  os << "usage: " << kTool
     << " --out PATH [--seed N] [--resolution R] [--width W] [--expose-intermediates]\n"
        "Writes MobileNetV2 (BatchNorm folded, fixed-seed weights) as ONNX opset 13.\n"
        "  --seed N      weight seed, a non-negative integer (default 0)\n"
        "  --resolution  input height and width, 32..2048 (default 224)\n"
        "  --width       width multiplier, 0.25..4 (default 1.0)\n"
        "  --expose-intermediates  also output every block's result (features.<i>)\n";
}

/// Parses a whole string as a number, or fails naming the flag.
template <typename T> T parseNumber(const std::string &flag, const std::string &text) {
  errno = 0;
  char *end = nullptr;
  T value;
  if constexpr (std::is_same_v<T, double>)
    value = std::strtod(text.c_str(), &end);
  else
    value = static_cast<T>(std::strtoll(text.c_str(), &end, 10));
  if (text.empty() || *end != '\0' || errno != 0)
    fail(flag + " expects a number, got '" + text + "'");
  return value;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (arg == "--expose-intermediates") {
      o.exposeIntermediates = true;
      continue;
    }
    // Both "--flag value" and "--flag=value".
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--out" || arg == "--seed" || arg == "--resolution" || arg == "--width") {
      if (i + 1 >= argc)
        fail(arg + " needs a value");
      value = argv[++i];
    }
    if (arg == "--out")
      o.out = value;
    else if (arg == "--seed") {
      long long seed = parseNumber<long long>(arg, value);
      if (seed < 0)
        fail("--seed must be non-negative, got " + value);
      o.seed = static_cast<uint64_t>(seed);
    } else if (arg == "--resolution") {
      o.resolution = parseNumber<long long>(arg, value);
      if (o.resolution < 32 || o.resolution > 2048)
        fail("--resolution must be in 32..2048, got " + value);
    } else if (arg == "--width") {
      o.width = parseNumber<double>(arg, value);
      if (!(o.width >= 0.25 && o.width <= 4.0))
        fail("--width must be in 0.25..4, got " + value);
    } else
      fail(std::string("unknown argument '") + argv[i] + "' (see --help)");
  }
  if (o.out.empty())
    fail("--out PATH is required (see --help)");
  return o;
}

std::string describe(const Options &o) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "MobileNetV2 generated by %s: seed %llu, resolution %lld, width %g%s. BatchNorm "
                "folded; random He-scaled weights, not trained (see test/models/"
                "gen_mobilenetv2.cpp). Inputs are expected uniform in [-1, 1].",
                kTool, static_cast<unsigned long long>(o.seed),
                static_cast<long long>(o.resolution), o.width,
                o.exposeIntermediates ? ", intermediates exposed" : "");
  return buf;
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);

  onnx::ModelProto model;
  model.set_ir_version(7); // the IR version that goes with opset 13
  model.set_producer_name(kTool);
  model.set_producer_version("1");
  model.set_doc_string(describe(options));
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name("mobilenetv2");
  MobileNetV2Writer(options, graph).build();

  // Checked, and serialised deterministically: the bytes are a function of
  // the options.
  if (std::string error = writeCheckedModel(model, options.out); !error.empty())
    fail(error);
  return 0;
}
