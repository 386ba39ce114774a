//===- ImageAdapter.cpp - a camera frame to a model input, in the module --===//
#include "targets/wasm/ImageAdapter.h"

#include "Halide.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <functional>

namespace kiln::wasm {

static const char *kNormalizeForms =
    "0,1 | -1,1 | 0,255 | imagenet | mean:R,G,B/std:R,G,B (on the 0..1 scale)";

/// "a,b,c" into three numbers; false if it is not exactly that.
static bool parseTriple(llvm::StringRef text, std::array<float, 3> &out) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  if (parts.size() != 3)
    return false;
  for (unsigned i = 0; i < 3; ++i) {
    double v;
    if (parts[i].trim().getAsDouble(v))
      return false;
    out[i] = float(v);
  }
  return true;
}

/// --normalize into scale and bias on 0..255 pixels.
static llvm::Error parseNormalize(llvm::StringRef text, ImageAdapterSpec &spec) {
  auto range = [&](float lo, float hi) {
    for (unsigned c = 0; c < 3; ++c) {
      spec.scale[c] = (hi - lo) / 255.0f;
      spec.bias[c] = lo;
    }
  };
  std::array<float, 3> mean, stdev;
  if (text == "0,1")
    range(0, 1);
  else if (text == "-1,1")
    range(-1, 1);
  else if (text == "0,255")
    range(0, 255);
  else if (text == "imagenet" || (text.starts_with("mean:") && text.contains("/std:") &&
                                  parseTriple(text.drop_front(5).split("/std:").first, mean) &&
                                  parseTriple(text.split("/std:").second, stdev))) {
    if (text == "imagenet") {
      mean = {0.485f, 0.456f, 0.406f};
      stdev = {0.229f, 0.224f, 0.225f};
    }
    for (unsigned c = 0; c < 3; ++c) {
      if (!(stdev[c] > 0))
        return makeError("--normalize: every std must be positive, got " +
                         std::to_string(stdev[c]));
      spec.scale[c] = 1.0f / (255.0f * stdev[c]);
      spec.bias[c] = -mean[c] / stdev[c];
    }
  } else {
    return makeError("--normalize: unknown '" + text + "' (expected " + kNormalizeForms + ")");
  }
  spec.normalize = text.str();
  spec.normalizeGiven = true;
  return llvm::Error::success();
}

llvm::Expected<ImageAdapterSpec> parseImageAdapter(llvm::StringRef inputImage,
                                                   llvm::StringRef normalize, llvm::StringRef fit,
                                                   llvm::StringRef resize, llvm::StringRef pad) {
  ImageAdapterSpec spec;
  if (inputImage.empty()) {
    if (!normalize.empty() || !fit.empty() || !resize.empty() || !pad.empty())
      return makeError("--normalize, --fit, --resize and --pad configure "
                       "--input-image=NAME:rgba8; give it too");
    return spec;
  }
  auto [name, format] = inputImage.rsplit(':');
  if (name.empty() || format.empty() || !inputImage.contains(':'))
    return makeError("--input-image: expected NAME:rgba8 (the model input it fills, and the "
                     "frame's pixel format), got '" +
                     inputImage + "'");
  if (format != "rgba8")
    return makeError("--input-image: unknown pixel format '" + format +
                     "' (rgba8 is the only one: ImageData, canvases and VideoFrames give RGBA)");
  spec.input = name.str();
  if (!normalize.empty())
    if (auto err = parseNormalize(normalize, spec))
      return std::move(err);
  if (fit == "crop")
    spec.fit = Fit::Crop;
  else if (fit == "letterbox")
    spec.fit = Fit::Letterbox;
  else if (!fit.empty() && fit != "stretch")
    return makeError("--fit: unknown '" + fit + "' (expected stretch, crop or letterbox)");
  if (resize == "asymmetric")
    spec.coordinates = ResizeCoordinates::Asymmetric;
  else if (resize == "tf_crop_and_resize")
    spec.coordinates = ResizeCoordinates::TfCropAndResize;
  else if (!resize.empty() && resize != "half_pixel" && resize != "bilinear")
    return makeError("--resize: unknown '" + resize +
                     "' (expected half_pixel, asymmetric or tf_crop_and_resize, ONNX Resize's "
                     "coordinate_transformation_mode values; all bilinear)");
  if (pad == "edge")
    spec.pad = Pad::Edge;
  else if (!pad.empty() && pad != "zero")
    return makeError("--pad: unknown '" + pad +
                     "' (expected zero, bars of pixel 0, or edge, the frame's edge pixels "
                     "repeated)");
  if (!pad.empty() && spec.fit != Fit::Letterbox)
    return makeError("--pad: only a letterbox has bars to fill; give --fit=letterbox too");
  if (spec.pad == Pad::Edge && spec.coordinates == ResizeCoordinates::TfCropAndResize)
    return makeError("--pad=edge: tf_crop_and_resize fills outside the frame with 0, "
                     "tf.image.cropAndResize's extrapolation value; edge takes half_pixel or "
                     "asymmetric");
  return spec;
}

llvm::Expected<ImageAdapterPlan> planImageAdapter(const ImageAdapterSpec &spec,
                                                  const host::HostPlan &plan) {
  ImageAdapterPlan out;
  out.spec = spec;
  std::string names;
  for (unsigned i = 0; i < plan.inputs.size(); ++i) {
    names += (names.empty() ? "'" : ", '") + plan.inputs[i].name + "'";
    if (plan.inputs[i].name == spec.input) {
      out.input = plan.inputs[i];
      out.inputIndex = i;
    }
  }
  if (out.input.name.empty())
    return makeError("--input-image: the model has no input '" + spec.input + "' (its inputs are " +
                     names + ")");
  const std::vector<int64_t> &s = out.input.shape;
  std::string shape;
  for (int64_t d : s)
    shape += (shape.empty() ? "" : "x") + std::to_string(d);
  if (s.size() != 4 || s[0] != 1 || (s[1] != 3 && s[3] != 3))
    return makeError("--input-image: input '" + spec.input + "' has shape " + shape +
                     "; an image input is 1xHxWx3 (NHWC) or 1x3xHxW (NCHW)");
  out.nchw = s[1] == 3;
  out.height = int(out.nchw ? s[2] : s[1]);
  out.width = int(out.nchw ? s[3] : s[2]);
  llvm::StringRef dtype = out.input.element.dtype ? out.input.element.dtype : "";
  bool isFloat = dtype == "KILN_DTYPE_F32";
  if (!isFloat && dtype != "KILN_DTYPE_I32" && dtype != "KILN_DTYPE_U8")
    return makeError("--input-image: input '" + spec.input +
                     "' is not float32, int32 or uint8, the element types the adapter writes");
  if (!isFloat && spec.normalizeGiven)
    return makeError("--normalize: input '" + spec.input +
                     "' holds integers, which take the pixels as they are (0..255)");
  return out;
}

/// tf_crop_and_resize: tf.image.cropAndResize's sample of output pixel
/// (x, y) of an ow x oh output from the region `fit` picks, as TF.js's
/// kernel computes it, so that pose-detection's MoveNet input is met to the
/// bit: the region as a box normalised to the frame, rounded to float32
/// (TF.js holds boxes in a float32 tensor), then float64: pixel i at x1 (fw -
/// 1) + i (x2 - x1) (fw - 1) / (ow - 1) (the box's centre when ow is 1), a
/// sample outside 0..fw-1 the extrapolation value 0, whole, and the lerps in
/// float64, IEEE (strict_float). In float32, or with Halide's reciprocal
/// for a division by a constant, the last row of a 640x480 frame letterboxed
/// to 56x40 fell an ulp inside the frame where TF.js's arithmetic puts it an
/// ulp outside (pixels against a black row: test/web/adapter.test.mjs).
static Halide::Expr
cropAndResizeSample(const std::function<Halide::Expr(Halide::Expr, Halide::Expr)> &p, Halide::Var x,
                    Halide::Var y, const Halide::ImageParam &frame, Fit fit, int ow, int oh) {
  using namespace Halide;
  Expr fw = cast<double>(frame.dim(1).extent()), fh = cast<double>(frame.dim(2).extent());
  Expr cw = fw, ch = fh;
  // An Expr and a double are ambiguous to Halide 14: float64 constants.
  auto f64 = [](double v) { return Internal::make_const(Float(64), v); };
  Expr aspect = f64(double(ow) / oh), half = f64(0.5);
  if (fit == Fit::Crop) {
    cw = min(fw, fh * aspect);
    ch = min(fh, fw / aspect);
  } else if (fit == Fit::Letterbox) {
    cw = max(fw, fh * aspect);
    ch = max(fh, fw / aspect);
  }
  auto box = [](Expr v) { return cast<double>(cast<float>(v)); };
  Expr x1 = box((fw - cw) * half / fw), x2 = box((fw + cw) * half / fw);
  Expr y1 = box((fh - ch) * half / fh), y2 = box((fh + ch) * half / fh);
  auto at = [&](Expr lo, Expr hi, Expr extent, int out, Expr i) {
    if (out == 1)
      return half * (lo + hi) * (extent - 1);
    return lo * (extent - 1) + cast<double>(i) * ((hi - lo) * (extent - 1) / f64(out - 1));
  };
  Expr sx = strict_float(at(x1, x2, fw, ow, x)), sy = strict_float(at(y1, y2, fh, oh, y));
  Expr fx = floor(sx), fy = floor(sy);
  Expr ix = cast<int>(fx), iy = cast<int>(fy);
  Expr ax = sx - fx, ay = sy - fy;
  auto q = [&](Expr xx, Expr yy) { return cast<double>(p(xx, yy)); };
  Expr top = q(ix, iy) + (q(ix + 1, iy) - q(ix, iy)) * ax;
  Expr bottom = q(ix, iy + 1) + (q(ix + 1, iy + 1) - q(ix, iy + 1)) * ax;
  Expr value = cast<float>(strict_float(top + (bottom - top) * ay));
  return select(sx < 0 || sx > fw - 1 || sy < 0 || sy > fh - 1, 0.0f, value);
}

llvm::Error compileImageAdapter(const ImageAdapterPlan &a, llvm::StringRef halideTarget,
                                llvm::StringRef objectPath) {
  using namespace Halide;
  try {
    Target target(halideTarget.str());
    target.set_feature(Target::NoRuntime);
    // The frame: RGBA interleaved, (channel, x, y), extents known at run time.
    ImageParam frame(UInt(8), 3, "frame");
    frame.dim(0).set_bounds(0, 4).set_stride(1);
    frame.dim(1).set_stride(4);
    Expr fw = cast<float>(frame.dim(1).extent()), fh = cast<float>(frame.dim(2).extent());
    float ow = float(a.width), oh = float(a.height);
    // The source region mapped onto the output, in frame pixels.
    Expr cw = fw, ch = fh;
    if (a.spec.fit == Fit::Crop) {
      cw = min(fw, fh * (ow / oh));
      ch = min(fh, fw * (oh / ow));
    } else if (a.spec.fit == Fit::Letterbox) {
      cw = max(fw, fh * (ow / oh));
      ch = max(fh, fw * (oh / ow));
    }
    Expr x0 = (fw - cw) * 0.5f, y0 = (fh - ch) * 0.5f;
    // Letterbox bars are black pixels, or with --pad=edge the edge repeated;
    // elsewhere the edge repeats, which is what tf.image.resizeBilinear's
    // clamped taps give. Clamping both taps is clamping the coordinate
    // (tf.image.transform's fillMode 'nearest', pose-detection's PoseNet
    // letterbox): outside the frame both taps are the same edge pixel.
    // tf_crop_and_resize makes its own bars (below), so its taps are clamped.
    bool cropAndResize = a.spec.coordinates == ResizeCoordinates::TfCropAndResize;
    Func src = a.spec.fit == Fit::Letterbox && a.spec.pad == Pad::Zero && !cropAndResize
                   ? BoundaryConditions::constant_exterior(frame, 0)
                   : BoundaryConditions::repeat_edge(frame);
    Var c("c"), x("x"), y("y"), n("n");
    // Output pixel x samples the source at sx: half_pixel puts the pixels'
    // centres on each other, asymmetric puts output pixel i at i / size of
    // the region (MediaPipe's crop as TF.js's face packages run it).
    auto p = [&](Expr xx, Expr yy) { return cast<float>(src(c, xx, yy)); };
    Expr value;
    if (cropAndResize) {
      value = cropAndResizeSample(p, x, y, frame, a.spec.fit, a.width, a.height);
    } else {
      Expr sx, sy;
      if (a.spec.coordinates == ResizeCoordinates::Asymmetric) {
        sx = x0 + cast<float>(x) * (cw / ow);
        sy = y0 + cast<float>(y) * (ch / oh);
      } else {
        sx = x0 + (cast<float>(x) + 0.5f) * (cw / ow) - 0.5f;
        sy = y0 + (cast<float>(y) + 0.5f) * (ch / oh) - 0.5f;
      }
      Expr fx = floor(sx), fy = floor(sy);
      Expr ix = cast<int>(fx), iy = cast<int>(fy);
      Expr ax = sx - fx, ay = sy - fy;
      Expr top = p(ix, iy) + (p(ix + 1, iy) - p(ix, iy)) * ax;
      Expr bottom = p(ix, iy + 1) + (p(ix + 1, iy + 1) - p(ix, iy + 1)) * ax;
      value = top + (bottom - top) * ay;
    }
    Func rgb("rgb");
    rgb(c, x, y) = value;

    Type type = a.input.element.halideCode == 2   ? Float(32)
                : a.input.element.halideCode == 1 ? UInt(8)
                                                  : Int(32);
    Expr v = rgb(c, x, y);
    if (type.is_float())
      v = v * select(c == 0, a.spec.scale[0], c == 1, a.spec.scale[1], a.spec.scale[2]) +
          select(c == 0, a.spec.bias[0], c == 1, a.spec.bias[1], a.spec.bias[2]);
    else
      v = cast(type, v); // truncation, as tf.cast after resizeBilinear
    Func out("kiln_image_out");
    if (a.nchw)
      out(x, y, c, n) = v;
    else
      out(c, x, y, n) = v;

    // Static output geometry: the host binds the model's input buffer.
    OutputImageParam o = out.output_buffer();
    int w = a.width, h = a.height;
    if (a.nchw) {
      o.dim(0).set_bounds(0, w).set_stride(1);
      o.dim(1).set_bounds(0, h).set_stride(w);
      o.dim(2).set_bounds(0, 3).set_stride(w * h);
      o.dim(3).set_bounds(0, 1).set_stride(3 * w * h);
      out.vectorize(x, 8, TailStrategy::GuardWithIf);
    } else {
      o.dim(0).set_bounds(0, 3).set_stride(1);
      o.dim(1).set_bounds(0, w).set_stride(3);
      o.dim(2).set_bounds(0, h).set_stride(3 * w);
      o.dim(3).set_bounds(0, 1).set_stride(3 * w * h);
      // Scalar: WebAssembly has no gather, so 8 lanes of x took 12 taps each
      // lane by lane and ran 1.5x slower (0.31 against 0.20 ms for a 640x480
      // frame to 128x128x3, Node 20, load 2.8). NCHW keeps its vectors: there
      // they were 1.1x faster than scalar (224x224).
      out.reorder(c, x, y, n).unroll(c);
    }
    Pipeline(out).compile_to_object(objectPath.str(), {frame}, "kiln_image_adapter", target);
  } catch (const Halide::Error &e) {
    return makeError(llvm::Twine("the image adapter: Halide failed: ") + e.what());
  }
  return llvm::Error::success();
}

const char *resizeCoordinatesName(ResizeCoordinates c) {
  return c == ResizeCoordinates::Asymmetric        ? "asymmetric"
         : c == ResizeCoordinates::TfCropAndResize ? "tf_crop_and_resize"
                                                   : "half_pixel";
}

std::string fitName(const ImageAdapterSpec &spec) {
  if (spec.fit == Fit::Crop)
    return "crop";
  if (spec.fit == Fit::Stretch)
    return "stretch";
  return spec.pad == Pad::Edge ? "letterbox, edge" : "letterbox";
}

std::string imageAdapterGlue(const ImageAdapterPlan &a) {
  long w = a.width, h = a.height;
  // Halide's dimensions, innermost first: {min, extent, stride, flags}.
  std::string dims = a.nchw
                         ? "{0, " + std::to_string(w) + ", 1, 0}, {0, " + std::to_string(h) + ", " +
                               std::to_string(w) + ", 0}, {0, 3, " + std::to_string(w * h) + ", 0}"
                         : "{0, 3, 1, 0}, {0, " + std::to_string(w) + ", 3, 0}, {0, " +
                               std::to_string(h) + ", " + std::to_string(3 * w) + ", 0}";
  dims += ", {0, 1, " + std::to_string(3 * w * h) + ", 0}";
  const host::ElementKind &e = a.input.element;
  return "// The image adapter's entry point for the loader (targets/wasm/ImageAdapter.h).\n"
         "#include \"HalideRuntime.h\"\n"
         "int kiln_image_adapter(struct halide_buffer_t *frame, struct halide_buffer_t *out);\n"
         "int " +
         std::string(kImageExport) +
         "(const uint8_t *rgba, int32_t width, int32_t height, void *out) {\n"
         "  halide_dimension_t fd[3] = {{0, 4, 1, 0}, {0, width, 4, 0}, {0, height, 4 * width, "
         "0}};\n"
         "  halide_dimension_t od[4] = {" +
         dims +
         "};\n"
         "  halide_buffer_t f = {0}, o = {0};\n"
         "  f.host = (uint8_t *)rgba;\n"
         "  f.type.code = halide_type_uint;\n"
         "  f.type.bits = 8;\n"
         "  f.type.lanes = 1;\n"
         "  f.dimensions = 3;\n"
         "  f.dim = fd;\n"
         "  o.host = (uint8_t *)out;\n"
         "  o.type.code = (halide_type_code_t)" +
         std::to_string(e.halideCode) + ";\n  o.type.bits = " + std::to_string(e.bits) +
         ";\n"
         "  o.type.lanes = 1;\n"
         "  o.dimensions = 4;\n"
         "  o.dim = od;\n"
         "  return kiln_image_adapter(&f, &o);\n"
         "}\n";
}

} // namespace kiln::wasm
