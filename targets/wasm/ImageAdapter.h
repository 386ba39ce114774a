//===- ImageAdapter.h - a camera frame to a model input, in the module -*- C++ -*-===//
//
// `kilnc --target=wasm --input-image=NAME:rgba8 [--normalize=...] [--fit=...]
// [--resize=half_pixel|asymmetric|tf_crop_and_resize] [--pad=zero|edge]` compiles
// an input adapter into the module: a Halide stage that takes an RGBA8 frame
// of any width and height (run-time extents) and writes model input NAME
// (shape [1,H,W,3] or [1,3,H,W]; float32, int32 or uint8): the frame's
// region chosen by --fit, resized bilinearly, alpha dropped, each channel
// scaled and offset. The loader then takes `run({image: frame})`.
//
// --resize: where output pixel i samples the region (origin x0, length cw,
//   output length ow), named as ONNX Resize's coordinate_transformation_mode:
//   half_pixel (default; x0 + (i + 0.5) * cw / ow - 0.5, as
//   tf.image.resizeBilinear with halfPixelCenters) or asymmetric
//   (x0 + i * cw / ow: MediaPipe's rule, as TF.js's face-detection and
//   face-landmarks-detection crop, and kiln-vision's cropToTensor) or
//   tf_crop_and_resize (the region as a box normalised to the frame,
//   corners aligned on the frame: x0 * (fw - 1) / fw + i * cw * (fw - 1) /
//   (fw * (ow - 1)), and a sample outside 0..fw-1 is pixel 0, not blended:
//   tf.image.cropAndResize with extrapolation 0, computed as TF.js does, in
//   float64; pose-detection's MoveNet crops by it). `bilinear`, its one value before, still means
//   half_pixel.
//
// --fit: stretch (the whole frame, aspect not kept), crop (the largest
//   centred region of the model's aspect), letterbox (the frame centred in
//   black bars to the model's aspect). Both are defined on the source:
//   crop = crop the frame to the aspect then stretch; letterbox = pad the
//   frame with black (pixel 0, normalised like any pixel) then stretch;
//   fractional crops and pads are sampled exactly, not rounded.
// --pad (letterbox only): what the bars hold. zero (default) is pixel 0;
//   edge repeats the frame's edge pixels outwards (a sample's coordinates
//   clamped to the frame), as pose-detection's PoseNet letterboxes
//   (tf.image.transform with fillMode 'nearest'). tf_crop_and_resize takes
//   zero only (cropAndResize's extrapolation value).
// --normalize (float inputs; integer inputs take the pixels as 0..255):
//   0,1 (default) | -1,1 | 0,255 | imagenet | mean:R,G,B/std:R,G,B
//   (mean and std on the 0..1 scale, as torchvision's: (p/255 - mean)/std).
//
// The parsing needs no Halide; compileImageAdapter does (ImageAdapter.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_IMAGEADAPTER_H
#define KILN_TARGETS_WASM_IMAGEADAPTER_H

#include "targets/host/HostPlan.h"
#include "llvm/Support/Error.h"

#include <array>
#include <string>

namespace kiln::wasm {

/// The largest frame the adapter takes, each side: the loader's scratch for
/// the frame grows up to 4096 x 4096 x 4 bytes (64 MiB); a larger frame is
/// a RangeError naming its size.
constexpr int kMaxFrameSide = 4096;

enum class Fit { Stretch, Crop, Letterbox };

/// --resize: where an output pixel samples the source (see above).
enum class ResizeCoordinates { HalfPixel, Asymmetric, TfCropAndResize };

/// --pad: the letterbox bars, pixel 0 or the frame's edge repeated.
enum class Pad { Zero, Edge };

/// What the user asked for on the command line.
struct ImageAdapterSpec {
  std::string input; ///< the model input it writes
  Fit fit = Fit::Stretch;
  ResizeCoordinates coordinates = ResizeCoordinates::HalfPixel;
  Pad pad = Pad::Zero;
  /// out = pixel * scale[c] + bias[c], pixel in 0..255 (RGB order).
  std::array<float, 3> scale = {1.0f / 255, 1.0f / 255, 1.0f / 255};
  std::array<float, 3> bias = {0, 0, 0};
  bool normalizeGiven = false;
  /// The --normalize text as given, for the loader's description.
  std::string normalize = "0,1";
};

/// Parses --input-image, --normalize, --fit, --resize and --pad (each may
/// be empty: not given). An error names the option and what it accepts.
llvm::Expected<ImageAdapterSpec> parseImageAdapter(llvm::StringRef inputImage,
                                                   llvm::StringRef normalize, llvm::StringRef fit,
                                                   llvm::StringRef resize, llvm::StringRef pad);

/// The model input, its layout and size, once checked against the plan.
struct ImageAdapterPlan {
  ImageAdapterSpec spec;
  host::TensorDesc input;
  unsigned inputIndex = 0;
  bool nchw = false;
  int width = 0, height = 0;
};

/// Checks that the spec's input exists and is an image the adapter can
/// write: [1,H,W,3] or [1,3,H,W] (3 as the last or the second dimension;
/// [1,3,H,3] is read as NCHW), of float32, int32 or uint8.
llvm::Expected<ImageAdapterPlan> planImageAdapter(const ImageAdapterSpec &spec,
                                                  const host::HostPlan &plan);

/// The adapter's Halide function, compiled for `halideTarget` (a Halide
/// target string; no_runtime is added): kiln_image_adapter(frame, out).
llvm::Error compileImageAdapter(const ImageAdapterPlan &adapter, llvm::StringRef halideTarget,
                                llvm::StringRef objectPath);

/// The C that the module exports for the loader:
///   int kiln_image(const uint8_t *rgba, int32_t width, int32_t height, void *out)
/// (0 on success; Halide's error code otherwise).
std::string imageAdapterGlue(const ImageAdapterPlan &adapter);

/// The export the loader calls.
constexpr const char *kImageExport = "kiln_image";

/// --resize's name for `c` (half_pixel, asymmetric, tf_crop_and_resize), as the loader states it.
const char *resizeCoordinatesName(ResizeCoordinates c);

/// --fit's name, with the bars' --pad for a letterbox ("letterbox, edge"),
/// as the loader's types state it.
std::string fitName(const ImageAdapterSpec &spec);

} // namespace kiln::wasm

#endif
