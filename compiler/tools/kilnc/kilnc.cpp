//===- kilnc.cpp - the Kiln compiler driver -------------------------------===//
//
// Thin: parses flags into DriverOptions and calls the driver library.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Driver.h"
#include "compiler/import/onnx/OnnxImporter.h"
#include "compiler/import/tfjs/TfjsImporter.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"

#include <vector>

using namespace llvm;

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::OptionCategory category("kilnc options");
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.json | model.mlir>"),
                             cl::cat(category));
  cl::opt<bool> listOps("list-ops",
                        cl::desc("Print the ONNX ops (other domains than the default as "
                                 "<domain>.<op>) and TF.js ops Kiln imports, one a line, and exit"),
                        cl::cat(category));
  cl::opt<std::string> output("o", cl::desc("Output file, or directory for artifacts"),
                              cl::value_desc("path"), cl::init("-"), cl::cat(category));
  cl::opt<std::string> compileTo(
      "compile-to",
      cl::desc("Last phase to run: import, graph, kernels, schedules, artifact (default)"),
      cl::value_desc("phase"), cl::init("artifact"), cl::cat(category));
  cl::opt<std::string> target("target", cl::desc("Target: cpu (default), wasm or spirv"),
                              cl::init("cpu"), cl::cat(category));
  cl::list<std::string> inputShape(
      "input-shape", cl::desc("Pin an input's shape, e.g. --input-shape=x=1x3x224x224"),
      cl::value_desc("name=DxDx..."), cl::cat(category));
  cl::list<std::string> inputValue(
      "input-value",
      cl::desc("Fix a TF.js input's value at import, e.g. --input-value=ratio=0.5: it becomes a "
               "constant and leaves the model's inputs"),
      cl::value_desc("name=V,V..."), cl::cat(category));
  cl::opt<std::string> name("name", cl::desc("Prefix of generated symbols (default: file stem)"),
                            cl::value_desc("identifier"), cl::cat(category));
  cl::opt<std::string> cpu(
      "cpu", cl::desc("CPU to compile for: host (default), arm64-linux, arm64-android, arm64-ios"),
      cl::init("host"), cl::cat(category));
  cl::opt<std::string> cpuFeatures(
      "cpu-features",
      cl::desc("CPU features: host (default), sse41, avx2, avx512; arm64: dotprod,fp16"),
      cl::init("host"), cl::cat(category));
  cl::opt<std::string> schedule(
      "schedule",
      cl::desc("template (default: Kiln's schedules) or auto:adams2019|li2018|mullapudi2016"),
      cl::init("template"), cl::cat(category));
  cl::opt<std::string> vulkan(
      "vulkan", cl::desc("spirv: the Vulkan version the modules target, 1.0 (default) or 1.1"),
      cl::init("1.0"), cl::cat(category));
  cl::opt<bool> fp16Storage(
      "fp16-storage",
      cl::desc("spirv: every float32 buffer on the device (weights, activations, inputs, outputs) "
               "stored as float16; arithmetic stays float32"),
      cl::cat(category));
  cl::opt<bool> fuseBlocks(
      "fuse-blocks",
      cl::desc("Fuse inverted-residual blocks into one kernel each (template schedules; "
               "default: cpu yes, wasm no; --fuse-blocks=false keeps them apart)"),
      cl::cat(category));
  cl::opt<std::string> weights(
      "weights", cl::desc("embedded (default): linked in; external: NAME.weights.bin"),
      cl::init("embedded"), cl::cat(category));
  cl::opt<bool> noPinBatch("no-pin-batch",
                           cl::desc("TF.js: keep an unknown batch dimension unknown (default: 1)"),
                           cl::cat(category));
  cl::opt<bool> printWeights(
      "print-weights", cl::desc("IR output: print weight blobs whole (default: elide > 1 KB)"),
      cl::cat(category));
  cl::opt<bool> noFallback("no-fallback",
                           cl::desc("wasm: skip NAME.nosimd.wasm (engines without SIMD)"),
                           cl::cat(category));
  // Spelled --threads on the command line (see below); libLLVM already
  // registers an integer option of that name.
  cl::opt<bool> threads("wasm-threads",
                        cl::desc("wasm: also build NAME.threads.wasm, run on a pool of workers "
                                 "where the page is cross-origin isolated (--threads)"),
                        cl::cat(category));
  cl::opt<bool> relaxedSimd(
      "relaxed-simd",
      cl::desc("wasm: also build NAME.relaxed.wasm (and with --threads NAME.relaxed.threads.wasm), "
               "kernels with f32x4.relaxed_madd, run where the engine has relaxed SIMD"),
      cl::cat(category));
  cl::opt<bool> kernelChecks("kernel-checks",
                             cl::desc("wasm: keep Halide's buffer checks in the kernels"),
                             cl::cat(category));
  cl::opt<std::string> inputImage(
      "input-image",
      cl::desc("wasm: input NAME takes RGBA frames of any size, resized and normalised in the "
               "module (run({image: frame}))"),
      cl::value_desc("NAME:rgba8"), cl::cat(category));
  cl::opt<std::string> normalize(
      "normalize",
      cl::desc("--input-image: 0,1 (default), -1,1, 0,255, imagenet or mean:R,G,B/std:R,G,B"),
      cl::cat(category));
  cl::opt<std::string> fit("fit", cl::desc("--input-image: stretch (default), crop or letterbox"),
                           cl::cat(category));
  cl::opt<std::string> resize(
      "resize",
      cl::desc("--input-image: where the bilinear resize samples, as ONNX Resize's "
               "coordinate_transformation_mode: half_pixel (default; tf.image.resizeBilinear), "
               "asymmetric (pixel i at i / size: MediaPipe's face models in TF.js's packages) "
               "or tf_crop_and_resize (tf.image.cropAndResize: corners aligned, zero outside "
               "the frame; pose-detection's MoveNet)"),
      cl::cat(category));
  cl::opt<std::string> pad(
      "pad",
      cl::desc("--fit=letterbox: the bars, zero (default; pixel 0) or edge (the frame's edge "
               "pixels repeated, as pose-detection's PoseNet letterboxes)"),
      cl::cat(category));
  cl::opt<std::string> tuningDb(
      "tuning-db",
      cl::desc("Schedule kernels by the best measured records in this database (kiln-tune)"),
      cl::value_desc("tuning.jsonl"), cl::cat(category));
  cl::opt<std::string> tuningDevice(
      "tuning-device",
      cl::desc("--tuning-db: records measured on native, node or chromium (default: native for "
               "cpu, node for wasm)"),
      cl::cat(category));
  cl::opt<int> tuningThreads("tuning-threads",
                             cl::desc("--tuning-db: records measured with this many threads "
                                      "(default 1; --target=wasm: the SIMD module takes 1-thread "
                                      "records, the --threads module those of N, default 2)"),
                             cl::init(1), cl::cat(category));
  cl::opt<bool> progress(
      "progress", cl::desc("Print a line per compiled kernel (default when stderr is a terminal)"),
      cl::cat(category));
  cl::HideUnrelatedOptions(category);
  // --threads is ours: libLLVM's own --threads=<int> (Polly's) would refuse it.
  std::vector<const char *> args(argv, argv + argc);
  for (const char *&arg : args)
    if (StringRef(arg) == "--threads" || StringRef(arg) == "-threads")
      arg = "--wasm-threads";
  cl::ParseCommandLineOptions(int(args.size()), args.data(),
                              "kilnc: compile a neural-network model\n");
  if (listOps) {
    for (const std::string &op : kiln::onnxSupportedOps())
      outs() << "onnx " << op << "\n";
    for (const std::string &op : kiln::tfjsSupportedOps())
      outs() << "tfjs " << op << "\n";
    return 0;
  }
  if (input.empty()) {
    errs() << "kilnc: error: no model given (kilnc model.onnx|model.json|model.mlir)\n";
    return 1;
  }

  kiln::DriverOptions options;
  options.inputPath = input;
  options.outputPath = output;
  options.target = target;
  options.inputShapes = inputShape;
  options.inputValues = inputValue;
  options.modelName = name;
  options.cpu = cpu;
  options.cpuFeatures = cpuFeatures;
  if ((vulkan.getNumOccurrences() || fp16Storage) && target != "spirv") {
    errs() << "kilnc: error: --vulkan and --fp16-storage apply to --target=spirv only\n";
    return 1;
  }
  options.vulkan = vulkan;
  options.fp16Storage = fp16Storage;
  options.scheduleMode = schedule;
  if (fuseBlocks.getNumOccurrences())
    options.fuseBlocks = fuseBlocks;
  options.wasmFallback = !noFallback;
  if (threads && target != "wasm") {
    errs() << "kilnc: error: --threads applies to --target=wasm only\n";
    return 1;
  }
  options.wasmThreads = threads;
  if (relaxedSimd && target != "wasm") {
    errs() << "kilnc: error: --relaxed-simd applies to --target=wasm only\n";
    return 1;
  }
  options.wasmRelaxedSimd = relaxedSimd;
  if ((!inputImage.empty() || !normalize.empty() || !fit.empty() || !resize.empty() ||
       !pad.empty()) &&
      target != "wasm") {
    errs() << "kilnc: error: --input-image, --normalize, --fit, --resize and --pad apply to "
              "--target=wasm only\n";
    return 1;
  }
  options.inputImage = inputImage;
  options.normalize = normalize;
  options.fit = fit;
  options.resize = resize;
  options.pad = pad;
  options.printWeights = printWeights;
  options.pinBatchToOne = !noPinBatch;
  options.kernelChecks = kernelChecks;
  options.tuningDb = tuningDb;
  options.tuningDevice = tuningDevice;
  options.tuningThreads = tuningThreads;
  options.progress = progress || sys::Process::StandardErrIsDisplayed();
  if (weights != "embedded" && weights != "external") {
    errs() << "kilnc: error: unknown --weights '" << weights
           << "' (expected embedded or external)\n";
    return 1;
  }
  options.externalWeights = weights == "external";
  std::optional<kiln::Phase> phase = kiln::parsePhase(compileTo);
  if (!phase) {
    errs() << "kilnc: error: unknown phase '" << compileTo << "' for --compile-to (expected one of "
           << kiln::phaseNames() << ")\n";
    return 1;
  }
  options.compileTo = *phase;
  return kiln::runDriver(options, errs());
}
