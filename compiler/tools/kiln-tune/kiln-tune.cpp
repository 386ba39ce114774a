//===- kiln-tune.cpp - tune a model's schedules on this device ------------===//
//
//   kiln-tune model.onnx --target=cpu|wasm|spirv --device=native|node|chromium|vulkan
//             --db=tuning.jsonl
//             [--trials=N] [--minutes=M] [--threads=T] [--seed=S]
//             [--search=evolve|random|grid] [--workers=W]
//             [--curve=tuning.png | --no-curve] [--curve-data=curve.tsv]
//             (the curve goes beside --db by default: tuning.jsonl -> tuning.png)
//   kiln-tune tasks model.onnx [--target=cpu]   (the kernels a tune would search)
//   kiln-tune model.onnx --db=table.jsonl --pool=N [--kernels=ID,...]
//             (measure N random records per kernel, for replay)
//   kiln-tune model.onnx --db=scratch.jsonl --replay=table.jsonl [--kernels=ID,...]
//             (a search answered from that table: benchmarks/tuner/replay.mjs)
//   kiln-tune model.onnx --db=tuning.jsonl --retune [--trials=N]
//             (only the kernels whose template changed since the DB tuned them)
//   kiln-tune show tuning.jsonl [model.onnx]   (what kilnc takes, per kernel)
//   kiln-tune merge A.jsonl B.jsonl -o C.jsonl
//
// Thin: option parsing and the order of the steps; each step is a call into
// tuner/ (Session.h: the model to its tasks as kilnc takes it, and the
// report; Tuner.h: the search; Accept.h: the whole-model acceptance;
// DbReport.h: show and merge; CompileTask.h), and the database is what
// `kilnc --tuning-db` reads. `--runner` (internal) makes this process a
// measuring runner for a tuner (tuner/Runner.h); `--compile-task` (internal)
// builds one candidate's artifact for the WASM runners (tuner/runners/).
//
//===----------------------------------------------------------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "targets/Targets.h"
#include "targets/common/Toolchain.h"
#include "tuner/Accept.h"
#include "tuner/CompileTask.h"
#include "tuner/DbReport.h"
#include "tuner/Devices.h"
#include "tuner/Plot.h"
#include "tuner/RunnerMain.h"
#include "tuner/Session.h"
#include "tuner/Tuner.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

using namespace llvm;

static int fail(const Twine &message) {
  errs() << "kiln-tune: error: " << message << "\n";
  return 1;
}

static int report(Error err) { return err ? fail(toString(std::move(err))) : 0; }

namespace {
/// The tune's scratch space (task modules, the runners' builds and logs),
/// removed on every way out of main, an error included. A tune with failed
/// candidates keeps the runners' logs (*.log) and nothing else;
/// KILN_KEEP_TEMP=1 keeps it all (and says where).
struct WorkDir {
  SmallString<128> path;
  bool keepLogs = false;
  ~WorkDir() {
    if (path.empty())
      return;
    kiln::toolchain::forgetOnSignal(path);
    if (const char *keep = std::getenv("KILN_KEEP_TEMP"); keep && StringRef(keep) == "1") {
      errs() << "kiln-tune: work directory kept (KILN_KEEP_TEMP=1): " << path << "\n";
      return;
    }
    if (!keepLogs) {
      sys::fs::remove_directories(path);
      return;
    }
    std::error_code ec;
    std::vector<std::string> doomed;
    for (sys::fs::directory_iterator it(path, ec), end; it != end && !ec; it.increment(ec))
      if (!StringRef(it->path()).ends_with(".log"))
        doomed.push_back(it->path());
    for (const std::string &p : doomed)
      if (sys::fs::is_directory(p))
        sys::fs::remove_directories(p);
      else
        sys::fs::remove(p);
  }
};
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  if (argc >= 2 && StringRef(argv[1]) == "--runner")
    return kiln::tuner::runnerMain();
  if (argc >= 2 && StringRef(argv[1]) == "--compile-task") {
    if (argc != 5 && argc != 6)
      return fail("usage: kiln-tune --compile-task cpu|wasm|wasm-threads|spirv TASK.mlir OUTDIR "
                  "[SCHEDULE]");
    return report(kiln::tuner::compileTask(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : ""));
  }
  // `kiln-tune tasks model` is `kiln-tune model --tasks` (no --db needed).
  std::vector<char *> rewritten(argv, argv + argc);
  if (argc >= 2 && StringRef(argv[1]) == "tasks") {
    rewritten.erase(rewritten.begin() + 1);
    rewritten.push_back(const_cast<char *>("--tasks"));
    rewritten.push_back(const_cast<char *>("--db=-"));
    argc = int(rewritten.size());
    argv = rewritten.data();
  }
  if (argc >= 2 && StringRef(argv[1]) == "show") {
    if (argc != 3 && argc != 4)
      return fail("usage: kiln-tune show <tuning.jsonl> [model]");
    return report(kiln::tuner::showTuningDb(argv[2], argc == 4 ? argv[3] : "", outs(), errs()));
  }
  if (argc >= 2 && StringRef(argv[1]) == "merge") {
    std::vector<std::string> inputs;
    std::string out;
    for (int i = 2; i < argc; ++i) {
      if (StringRef(argv[i]) == "-o" && i + 1 < argc)
        out = argv[++i];
      else
        inputs.push_back(argv[i]);
    }
    if (inputs.empty() || out.empty())
      return fail("usage: kiln-tune merge A.jsonl B.jsonl ... -o C.jsonl");
    return report(kiln::tuner::mergeTuningDbFiles(inputs, out, outs(), errs()));
  }

  // --threads=N: LLVM's own libraries register a "threads" option, so this
  // one is taken off the command line before cl sees it.
  int threads = 1;
  std::vector<char *> args;
  for (int i = 0; i < argc; ++i) {
    StringRef arg = argv[i];
    if (arg.consume_front("--threads=") || arg.consume_front("-threads=")) {
      if (arg.getAsInteger(10, threads))
        return fail("--threads expects a number, not '" + arg + "'");
    } else {
      args.push_back(argv[i]);
    }
  }
  argc = int(args.size());
  argv = args.data();
  cl::OptionCategory category("kiln-tune options");
  cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx | model.json | model.mlir>"),
                             cl::Required, cl::cat(category));
  cl::opt<std::string> target("target", cl::desc("cpu (default), wasm or spirv"), cl::init("cpu"),
                              cl::cat(category));
  cl::opt<std::string> device(
      "device",
      cl::desc("Where to measure: native (cpu; default), node or chromium (wasm), vulkan "
               "(spirv)"),
      cl::init(""), cl::cat(category));
  cl::opt<std::string> dbPath("db", cl::desc("The tuning database to append to"),
                              cl::value_desc("tuning.jsonl"), cl::Required, cl::cat(category));
  cl::opt<unsigned> trials("trials",
                           cl::desc("Measurements in all (default 200; 0 with "
                                    "--minutes: until the time is up)"),
                           cl::init(200), cl::cat(category));
  cl::opt<double> minutes("minutes", cl::desc("Stop after this many minutes (a fraction too: 0.5)"),
                          cl::init(0), cl::cat(category));
  cl::opt<unsigned> seed("seed", cl::desc("Random seed (default 1)"), cl::init(1),
                         cl::cat(category));
  cl::opt<std::string> search("search", cl::desc("evolve (default), random or grid"),
                              cl::init("evolve"), cl::cat(category));
  cl::opt<unsigned> workers("workers", cl::desc("Runner processes (default 2)"), cl::init(2),
                            cl::cat(category));
  cl::opt<bool> noAuto("no-autoschedulers",
                       cl::desc("Do not seed tasks with Halide's autoschedulers"),
                       cl::cat(category));
  cl::opt<std::string> curve(
      "curve",
      cl::desc("Write the tuning curve here (PNG; default: beside --db, DB.jsonl -> DB.png)"),
      cl::value_desc("tuning.png"), cl::cat(category));
  cl::opt<bool> noCurve("no-curve", cl::desc("Write no tuning curve"), cl::cat(category));
  cl::opt<std::string> curveData(
      "curve-data",
      cl::desc("Write the tuning curve's points here (TSV: trials, seconds, estimated model ms; "
               "from the batch where every kernel has a time)"),
      cl::value_desc("curve.tsv"), cl::cat(category));
  cl::opt<bool> listTasks("tasks", cl::desc("List the tasks (distinct kernels) and stop"),
                          cl::cat(category));
  cl::list<std::string> kernels(
      "kernels", cl::CommaSeparated,
      cl::desc("Tune only these kernels (identities as `kiln-tune tasks` prints them, a "
               "prefix of one, or a summary such as \"conv1x1 1x7x7x960 -> 1x7x7x160\")"),
      cl::value_desc("ID,..."), cl::cat(category));
  cl::opt<unsigned> pool("pool",
                         cl::desc("Measure N random records of each kernel (and its template "
                                  "and autoschedulers) into --db, as a table for --replay"),
                         cl::init(0), cl::cat(category));
  cl::opt<unsigned> poolChunk("pool-chunk",
                              cl::desc("Records timed together beside the template (default 8)"),
                              cl::init(8), cl::cat(category));
  cl::opt<std::string> replay("replay",
                              cl::desc("Answer every candidate from this table (a --pool "
                                       "database) instead of measuring: replays a search"),
                              cl::value_desc("table.jsonl"), cl::cat(category));
  cl::opt<bool> retune("retune",
                       cl::desc("Tune only the kernels whose template changed since --db "
                                "measured them (kilnc keeps their template and says so), and "
                                "those it never measured"),
                       cl::cat(category));
  cl::opt<std::string> nativeRunner(
      "native-runner",
      cl::desc("How --device=native measures: aot (default: each candidate compiled as kilnc "
               "compiles it and run through the library's runtime, tuner/runners/"
               "library_runner.mjs) or jit (Halide's JIT, kiln-tune --runner)"),
      cl::init("aot"), cl::cat(category));
  cl::opt<bool> noAccept("no-accept",
                         cl::desc("Skip the whole-model acceptance: keep every record that won "
                                  "its kernel pair (tuner/README.md)"),
                         cl::cat(category));
  cl::list<std::string> inputShape("input-shape", cl::desc("Pin an input's shape"),
                                   cl::value_desc("name=DxDx..."), cl::cat(category));
  cl::list<std::string> inputValue("input-value",
                                   cl::desc("Fix a TF.js input's value at import (as kilnc)"),
                                   cl::value_desc("name=V,V..."), cl::cat(category));
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln-tune: tune a model's schedules on this device\n"
      "  --threads=N     threads the kernels run with (default 1); --target=wasm: tunes the\n"
      "                  threaded module (kilnc --threads) on the loader's pool of N, in Node\n"
      "                  or in a cross-origin isolated Chromium page, serial or parallel per\n"
      "                  kernel by measurement (timed by wall clock)\n"
      "\n"
      "  The tuning database's other commands (tuner/README.md):\n"
      "  kiln-tune tasks MODEL [options]                  list the model's tasks (distinct "
      "kernels)\n"
      "  kiln-tune show DB.jsonl [MODEL]                  the best record per kernel, as "
      "kilnc takes it\n"
      "  kiln-tune merge A.jsonl B.jsonl ... -o C.jsonl   merge databases, each record once\n");

  const kiln::Target *t = kiln::findTarget(target);
  if (!t)
    return fail("unknown target '" + target + "' (expected " + kiln::targetNames() + ")");
  if (device.empty())
    device = target == "wasm" ? "node" : target == "spirv" ? "vulkan" : "native";
  std::string self = sys::fs::getMainExecutable(argv[0], (void *)&fail);
  if (nativeRunner != "aot" && nativeRunner != "jit")
    return fail("--native-runner expects aot or jit, not '" + nativeRunner + "'");
  auto runnerCommand =
      kiln::tuner::runnerCommand(target, device, self, device == "native" && nativeRunner == "jit");
  if (!runnerCommand)
    return fail(toString(runnerCommand.takeError()));
  if (threads < 1)
    return fail("--threads must be at least 1");
  if (trials == 0 && minutes <= 0)
    return fail("give --trials or --minutes");
  if (noCurve && !curve.empty())
    return fail("--curve and --no-curve: give one of them");

  mlir::DialectRegistry registry;
  kiln::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  kiln::DriverOptions driverOptions;
  driverOptions.inputPath = input;
  driverOptions.inputShapes = inputShape;
  driverOptions.inputValues = inputValue;
  auto model = kiln::tuner::loadModelTasks(context, driverOptions, *t, device, threads);
  if (!model)
    return fail(toString(model.takeError()));
  std::vector<kiln::tuner::Task> &tasks = model->tasks;
  if (Error err = kiln::tuner::selectKernels(tasks, kernels))
    return report(std::move(err));
  if (retune) {
    if (Error err =
            kiln::tuner::keepStaleTasks(tasks, dbPath, model->fingerprint, &context, errs()))
      return report(std::move(err));
    if (tasks.empty())
      return 0;
  }
  if (listTasks) {
    kiln::tuner::printTasks(*model, sys::path::filename(input), &context, outs());
    return 0;
  }
  if (dbPath == "-")
    return fail("--db is required");

  kiln::tuner::TuneOptions options;
  options.dbPath = dbPath;
  options.trials = trials;
  options.minutes = minutes;
  options.seed = seed;
  options.threads = threads;
  options.search = search;
  options.autoschedulerSeeds = !noAuto;
  options.workers = std::max(1u, unsigned(workers));
  options.runnerExecutable = self;
  options.runnerCommand = *runnerCommand;
  WorkDir workDir;
  if (std::error_code ec = sys::fs::createUniqueDirectory("kiln-tune", workDir.path))
    return fail("cannot create a work directory: " + ec.message());
  // Ctrl-C (or SIGTERM, SIGHUP): the work folder goes, and the user learns
  // that nothing finished was lost (each record is written and synced when
  // it is measured).
  kiln::toolchain::removeOnSignal(workDir.path);
  kiln::toolchain::setInterruptNote("kiln-tune: interrupted: " + dbPath +
                                    " keeps every finished measurement; run the same command "
                                    "again to resume");
  options.workDir = workDir.path.str().str();
  options.progress = &errs();
  if (pool) {
    if (!replay.empty())
      return fail("--pool measures a table and --replay reads one: give one of them");
    if (Error err = kiln::tuner::measurePool(tasks, model->fingerprint, model->targetInfo, options,
                                             pool, poolChunk, &context))
      return fail(toString(std::move(err)));
    outs() << "kiln-tune: pool of " << pool << " records per kernel in " << dbPath << "\n";
    return 0;
  }
  std::optional<kiln::codegen::TuningDb> table;
  if (!replay.empty()) {
    auto loaded = kiln::tuner::loadReplayTable(replay, tasks, errs());
    if (!loaded)
      return fail(toString(loaded.takeError()));
    table = std::move(*loaded);
    options.replay = &*table;
  }
  unsigned calls = 0;
  for (const auto &task : tasks)
    calls += task.calls;
  errs() << "kiln-tune: " << tasks.size() << " distinct kernels (" << calls << " calls) of "
         << sys::path::filename(input) << " on " << model->fingerprint.str() << ", " << search
         << " search, seed " << seed << "\n";

  auto tuned = kiln::tuner::tune(tasks, model->fingerprint, model->targetInfo, options, &context);
  if (!tuned)
    return fail(toString(tuned.takeError()));
  double templateSum = kiln::tuner::printTuneTable(tasks, *tuned, outs());

  auto writeCurveData = [&] {
    if (curveData.empty())
      return;
    if (Error err = kiln::tuner::writeCurveData(curveData, *tuned, search, seed))
      errs() << "kiln-tune: warning: " << toString(std::move(err)) << "\n";
  };
  if (options.replay) {
    // Nothing ran: the curve is the replay's result.
    writeCurveData();
    outs() << "replay of " << replay << ": no end-to-end measurement\n";
    return 0;
  }
  // The whole-model acceptance (tuner/Accept.h): the model as kilnc
  // --tuning-db builds it, with this tune's winning records and without
  // them, timed in alternating pairs in one runner; records that do not
  // pay end to end are written to the database as rejected.
  // The clock is the runner's word, added by the acceptance (its replies'
  // "clock"), not what KILN_TUNE_CLOCK in this environment asked for.
  std::string how = (device == "native" ? std::string(nativeRunner == "jit" ? "JIT" : "AOT")
                                        : std::string(device)) +
                    ", " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
  kiln::tuner::AcceptanceInput acceptance;
  acceptance.dbPath = dbPath;
  acceptance.tasks = &tasks;
  acceptance.report = &*tuned;
  acceptance.fingerprint = model->fingerprint;
  acceptance.model = *model->model;
  acceptance.variant = &model->variant;
  acceptance.device = device;
  acceptance.threads = threads;
  acceptance.how = how;
  acceptance.noAccept = noAccept;
  auto status = kiln::tuner::runAcceptance(acceptance, options, &context, outs());
  if (!status)
    return fail(toString(status.takeError()));

  // The curve goes beside the database unless told otherwise (issue 20:
  // "a PNG tuning curve beside the DB"): tuning.jsonl -> tuning.png.
  std::string curvePath = curve;
  if (curvePath.empty() && !noCurve)
    curvePath = StringRef(dbPath).ends_with(".jsonl") ? dbPath.substr(0, dbPath.size() - 6) + ".png"
                                                      : dbPath + ".png";
  if (!noCurve) {
    std::string svg = kiln::tuner::curveSvg(
        *tuned, templateSum,
        (sys::path::filename(input) + " on " + model->fingerprint.str() + ", " + search).str());
    if (Error err = kiln::tuner::writePng(svg, curvePath))
      errs() << "kiln-tune: warning: " << toString(std::move(err)) << "\n";
    else
      outs() << "tuning curve: " << curvePath << "\n";
  }
  writeCurveData();
  unsigned failed = 0;
  for (const kiln::tuner::TaskResult &r : tuned->tasks)
    failed += r.failed;
  if (failed) {
    // Their stderr (a crash's stack dump) is in the runners' logs; the
    // task modules and builds go (WorkDir).
    outs() << failed << " candidates failed (wrong, crash, timeout or compile error: see the "
           << "database); the runners' logs are kept in " << options.workDir << "\n";
    workDir.keepLogs = true;
  }
  return *status == "ok" ? 0 : 1;
}
