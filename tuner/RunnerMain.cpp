//===- RunnerMain.cpp - the native runner: compile and time candidates ----===//
#include "tuner/RunnerMain.h"

#include "codegen/schedule/Schedule.h"
#include "compiler/pipeline/Pipeline.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "targets/jit/JitRunner.h"
#include "tuner/Task.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sys/utsname.h>
#include <unistd.h>

namespace kiln::tuner {

namespace {

struct TaskState {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<jit::HostTensor> inputs;
  std::vector<jit::HostTensor> reference; ///< empty until a reference run
};

// Inputs fixed by the model's interface (names, shapes), so that two
// modules of one model (as scheduled by the templates, as tuned) get the
// same: floats in [-1, 1], integers zero (index operands stay in range).
std::vector<jit::HostTensor> makeInputs(const std::vector<jit::HostTensor> &specs) {
  std::string seedText;
  for (const jit::HostTensor &t : specs)
    seedText += t.name + ":" + jit::shapeString(t.shape) + ";";
  std::seed_seq seed(seedText.begin(), seedText.end());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<jit::HostTensor> inputs = specs;
  for (jit::HostTensor &t : inputs)
    if (t.dtype == DType::F32)
      for (int64_t i = 0; i < t.numElements(); ++i)
        t.as<float>()[i] = dist(rng);
  return inputs;
}

// The largest difference from the reference, relative to each output's
// range (1 for an output of constant value); infinity on NaN mismatch.
double relativeError(const std::vector<jit::HostTensor> &got,
                     const std::vector<jit::HostTensor> &want) {
  double worst = 0;
  for (size_t o = 0; o < want.size() && o < got.size(); ++o) {
    if (want[o].dtype != DType::F32) {
      if (got[o].data != want[o].data)
        return INFINITY;
      continue;
    }
    const float *w = want[o].as<float>(), *g = got[o].as<float>();
    int64_t n = want[o].numElements();
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; ++i)
      if (std::isfinite(w[i])) {
        lo = std::min(lo, w[i]);
        hi = std::max(hi, w[i]);
      }
    double range = hi > lo ? double(hi) - lo : 1.0;
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(w[i]) != std::isnan(g[i]))
        return INFINITY;
      if (!std::isnan(w[i]))
        worst = std::max(worst, std::abs(double(g[i]) - w[i]) / range);
    }
  }
  return worst;
}

class Server {
public:
  explicit Server(int out) : out(out) {
    mlir::DialectRegistry registry;
    registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  void serve() {
    std::string line;
    while (std::getline(std::cin, line)) {
      auto value = llvm::json::parse(line);
      llvm::json::Object reply;
      if (!value || !value->getAsObject()) {
        if (!value)
          llvm::consumeError(value.takeError());
        reply["status"] = "error";
        reply["message"] = "not a JSON object";
      } else {
        reply = handle(*value->getAsObject());
      }
      std::string text;
      llvm::raw_string_ostream(text) << llvm::json::Value(std::move(reply));
      text += "\n";
      if (::write(out, text.data(), text.size()) != ssize_t(text.size()))
        return;
    }
  }

private:
  // The native device's version (the protocol's "device_version"): the
  // kernel, as `uname -sr` prints it. The CPU is the fingerprint's cpu and
  // features already; the kernel schedules the threads.
  static std::string kernelVersion() {
    utsname u;
    if (::uname(&u) != 0)
      return "";
    return std::string(u.sysname) + " " + u.release;
  }

  llvm::json::Object handle(const llvm::json::Object &request) {
    llvm::json::Object reply;
    int64_t id = request.getInteger("id").value_or(-1);
    reply["id"] = id;
    llvm::StringRef op = request.getString("op").value_or("");
    if (op == "compile") {
      compile(id, request, reply);
      reply["device_version"] = kernelVersion();
    } else if (op == "run")
      run(id, request, reply);
    else if (op == "forget") {
      candidates.erase(id);
      reply["status"] = "ok";
    } else {
      reply["status"] = "error";
      reply["message"] = "unknown op '" + op.str() + "'";
    }
    return reply;
  }

  TaskState *task(llvm::StringRef path, std::string &error) {
    auto it = tasks.find(path.str());
    if (it != tasks.end())
      return &it->second;
    llvm::SourceMgr sources;
    auto module = mlir::parseSourceFile<mlir::ModuleOp>(path, sources, &context);
    if (!module) {
      error = "cannot parse task '" + path.str() + "'";
      return nullptr;
    }
    TaskState &state = tasks[path.str()];
    state.module = std::move(module);
    return &state;
  }

  void compile(int64_t id, const llvm::json::Object &request, llvm::json::Object &reply) {
    auto start = std::chrono::steady_clock::now();
    std::string error;
    std::string path = request.getString("task").value_or("").str();
    TaskState *state = task(path, error);
    if (!state) {
      reply["status"] = "error";
      reply["message"] = error;
      return;
    }
    mlir::OwningOpRef<mlir::ModuleOp> copy(state->module->clone());
    // An empty schedule keeps the records the module carries (a whole
    // model); otherwise the task's one kernel gets this one.
    llvm::StringRef scheduleText = request.getString("schedule").value_or("");
    if (!scheduleText.empty()) {
      auto record = codegen::ScheduleRecord::parse(scheduleText, &context);
      if (!record) {
        reply["status"] = "error";
        reply["message"] = llvm::toString(record.takeError());
        return;
      }
      auto attr = record->toAttr(&context);
      if (!attr) {
        reply["status"] = "compile-error";
        reply["message"] = llvm::toString(attr.takeError());
        return;
      }
      taskKernel(*copy)->setAttr(codegen::kScheduleAttrName, *attr);
    }
    auto runner = jit::JitRunner::create(*copy);
    if (!runner) {
      reply["status"] = "compile-error";
      reply["message"] = llvm::toString(runner.takeError());
      return;
    }
    if (state->inputs.empty())
      state->inputs = makeInputs((*runner)->inputSpecs());
    candidates[id] = Candidate{path, std::move(*runner)};
    reply["status"] = "ok";
    reply["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  void run(int64_t id, const llvm::json::Object &request, llvm::json::Object &reply) {
    auto it = candidates.find(id);
    if (it == candidates.end()) {
      reply["status"] = "error";
      reply["message"] = "no compiled candidate " + std::to_string(id);
      return;
    }
    TaskState &state = tasks[it->second.task];
    int64_t iterations = std::max<int64_t>(1, request.getInteger("iterations").value_or(1));
    bool reference = request.getBoolean("reference").value_or(false);
    llvm::json::Array times;
    std::vector<jit::HostTensor> outputs;
    // The first call is a warm-up (first-touch of buffers, thread start).
    for (int64_t i = 0; i <= iterations; ++i) {
      auto start = std::chrono::steady_clock::now();
      auto result = it->second.runner->run(state.inputs);
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!result) {
        reply["status"] = "crash";
        reply["message"] = llvm::toString(result.takeError());
        return;
      }
      if (i > 0)
        times.push_back(ms);
      else
        outputs = std::move(*result);
    }
    if (reference)
      state.reference = outputs;
    // Compared with this task's reference, or another task's of the same
    // interface ("reference_task": the template-scheduled model).
    const TaskState *against = &state;
    if (std::optional<llvm::StringRef> other = request.getString("reference_task")) {
      auto found = tasks.find(other->str());
      against = found == tasks.end() ? nullptr : &found->second;
    }
    if (!against || against->reference.empty() || against->inputs.size() != state.inputs.size()) {
      reply["status"] = "error";
      reply["message"] = "no reference to compare with";
      return;
    }
    double error = relativeError(outputs, against->reference);
    reply["status"] = error <= 1e-4 ? "ok" : "wrong";
    reply["error"] = std::isfinite(error) ? error : 1e30;
    reply["times_ms"] = std::move(times);
    // The clock these times are on (the protocol's "clock"): the JIT
    // runner times in wall time whatever KILN_TUNE_CLOCK says.
    reply["clock"] = "wall";
  }

  struct Candidate {
    std::string task;
    std::unique_ptr<jit::JitRunner> runner;
  };
  int out;
  mlir::MLIRContext context;
  std::map<std::string, TaskState> tasks;
  std::map<int64_t, Candidate> candidates;
};

} // namespace

int runnerMain() {
  // Replies go to the original stdout; anything a library prints there
  // would corrupt the protocol, so stdout becomes stderr for everyone else.
  int protocol = ::dup(1);
  ::dup2(2, 1);
  Server server(protocol);
  server.serve();
  return 0;
}

} // namespace kiln::tuner
