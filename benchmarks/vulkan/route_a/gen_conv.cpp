// gen_conv: route (a) of issue 21 for one kernel. Writes the GLSL compute
// shader that Halide 14's OpenGLCompute backend makes for a 3x3 conv
// (NHWC 1x64x64x24 -> 24 channels, pads 1, bias, float32) under one GPU
// schedule, plus a line of launch facts for the host.
//
//   gen_conv SCHEDULE OUT.comp OUT.launch
// SCHEDULE: tile8x8  (gpu_tile(x, y, 8, 8): one invocation per pixel, all
//                     24 channels in a loop: the brief's default)
//           c24x4    (threads over 24 channels x 8 column groups, 4 columns
//                     per invocation unrolled: Kiln's (b) record's shape)
// The shader is taken from Halide's own codegen: the module's
// compile_to_llvm_assembly embeds it as the string constant
// openglcompute_gpu_source_kernels, which this tool reads back.
#include "Halide.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

using namespace Halide;

static const int C = 24, W = 64, H = 64, K = 3;

int main(int argc, char **argv) {
  if (argc != 4) {
    std::cerr << "usage: gen_conv tile8x8|c24x4 OUT.comp OUT.launch\n";
    return 2;
  }
  std::string sched = argv[1];
  // Layouts, innermost first (Halide's order): input (c, x, y) is NHWC;
  // weights (co, ci, kx, ky) is HWIO; output (c, x, y) NHWC.
  ImageParam in(Float(32), 3, "in"), wt(Float(32), 4, "wt"), bias(Float(32), 1, "bias");
  Var c("c"), x("x"), y("y");
  Func padded = BoundaryConditions::constant_exterior(in, 0.0f);
  RDom r(0, C, 0, K, 0, K, "r");
  Func out("out");
  Func acc("acc");
  if (sched == "c24x4r") {
    acc(c, x, y) = bias(c);
    acc(c, x, y) += padded(r.x, x + r.y - 1, y + r.z - 1) * wt(c, r.x, r.y, r.z);
    out(c, x, y) = acc(c, x, y);
  } else {
    out(c, x, y) = bias(c) + sum(padded(r.x, x + r.y - 1, y + r.z - 1) * wt(c, r.x, r.y, r.z));
  }

  // Static shapes, as Kiln's kernels have: no strides or extents left as
  // uniforms beyond what Halide insists on.
  in.dim(0).set_bounds(0, C).set_stride(1);
  in.dim(1).set_bounds(0, W).set_stride(C);
  in.dim(2).set_bounds(0, H).set_stride(C * W);
  wt.dim(0).set_bounds(0, C).set_stride(1);
  wt.dim(1).set_bounds(0, C).set_stride(C);
  wt.dim(2).set_bounds(0, K).set_stride(C * C);
  wt.dim(3).set_bounds(0, K).set_stride(C * C * K);
  bias.dim(0).set_bounds(0, C).set_stride(1);
  OutputImageParam o = out.output_buffer();
  o.dim(0).set_bounds(0, C).set_stride(1);
  o.dim(1).set_bounds(0, W).set_stride(C);
  o.dim(2).set_bounds(0, H).set_stride(C * W);

  Var xo("xo"), yo("yo"), xi("xi"), yi("yi"), xv("xv");
  int groups[3] = {1, 1, 1}, local[3] = {1, 1, 1};
  if (sched == "tile8x8") {
    out.gpu_tile(x, y, xo, yo, xi, yi, 8, 8);
    local[0] = 8; local[1] = 8; groups[0] = W / 8; groups[1] = H / 8;
  } else if (sched == "c24x4") {
    // Threads: c (24) x 2 column groups of 4 columns; blocks over the rest.
    out.split(x, x, xv, 4).reorder(xv, c, x, y)
        .unroll(xv)
        .gpu_tile(x, xo, xi, 2)
        .gpu_blocks(xo, y)
        .gpu_threads(c, xi);
    local[0] = C; local[1] = 2; groups[0] = W / 4 / 2; groups[1] = H;
  } else if (sched == "c24x4r") {
    // Kiln's (b) record in Halide: workgroup 24 channels x 4, each
    // invocation 4 adjacent columns whose accumulators stay in registers
    // (acc computed per thread, its update's 4 columns unrolled innermost,
    // inside the reduction).
    out.split(x, x, xv, 4).reorder(xv, c, x, y)
        .gpu_tile(x, xo, xi, 4)
        .gpu_blocks(xo, y)
        .gpu_threads(c, xi)
        .unroll(xv);
    acc.compute_at(out, c).unroll(x);
    acc.update().reorder(x, c, y, r.x, r.y, r.z).unroll(x);
    local[0] = C; local[1] = 4; groups[0] = W / 4 / 4; groups[1] = H;
  } else {
    std::cerr << "gen_conv: unknown schedule '" << sched << "'\n";
    return 2;
  }

  Target t = get_host_target().with_feature(Target::OpenGLCompute);
  std::string ll = std::string(argv[2]) + ".ll";
  out.compile_to_llvm_assembly(ll, {in, wt, bias}, "conv", t);

  // Read the embedded shader back from the LLVM assembly.
  std::ifstream f(ll);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  size_t at = text.find("@openglcompute_gpu_source_kernels");
  if (at == std::string::npos) {
    std::cerr << "gen_conv: no openglcompute_gpu_source_kernels in " << ll << "\n";
    return 1;
  }
  size_t q = text.find("c\"", at);
  std::string glsl;
  for (size_t i = q + 2; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] == '\\') {
      glsl += (char)std::stoi(text.substr(i + 1, 2), nullptr, 16);
      i += 2;
    } else {
      glsl += text[i];
    }
  }
  while (!glsl.empty() && glsl.back() == '\0') glsl.pop_back();
  std::ofstream(argv[2]) << glsl;
  std::ofstream(argv[3]) << groups[0] << " " << groups[1] << " " << groups[2] << " "
                         << local[0] << " " << local[1] << " " << local[2] << "\n";
  return 0;
}
