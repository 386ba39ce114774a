//===- Runner.h - a measuring process the tuner talks to -------------*- C++ -*-===//
//
// Candidates are compiled and timed in runner processes, never in the
// tuner: a schedule that crashes or hangs kills its runner, which the tuner
// restarts, and is recorded as such. Tuner and runner speak a small
// protocol, one JSON object per line, so that a runner can later live
// elsewhere (another machine, a phone, a browser page) without changing the
// tuner (tuner/README.md):
//
//   -> {"op":"compile","id":7,"task":"/tmp/t/task3.mlir","schedule":"#kiln.schedule<...>"}
//   <- {"id":7,"status":"ok","seconds":0.41,"device_version":"v20.20.2"}
//                                                   (or "compile-error", "message")
//   -> {"op":"run","id":7,"iterations":5,"reference":false}
//   <- {"id":7,"status":"ok","times_ms":[...],"error":0.0,"clock":"cpu"}  (or "wrong")
//   -> {"op":"forget","id":7}
//   <- {"id":7,"status":"ok"}
//
// "reference": true stores the run's outputs as the task's reference;
// other runs report their largest difference from it relative to the
// reference's range, and "wrong" above 1e-4 (the e2e tests' tolerance).
// "clock" names what the times are: "cpu" (the process's or the page's
// thread's CPU time) or "wall"; the tuner reports the runner's word.
// "device_version" says what runs the code (Node's process.version,
// Chromium's version, the Vulkan device and driver, the kernel for
// native): the tuner records it in the target of each record it writes
// (TargetFingerprint::deviceVersion), and never matches on it.
// The native runner is `kiln-tune --runner` (RunnerMain.cpp), with Halide's
// JIT; HL_NUM_THREADS sets its threads.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNER_RUNNER_H
#define KILN_TUNER_RUNNER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace kiln::tuner {

/// What became of a request.
enum class Outcome { Replied, Crashed, TimedOut };

/// Folds a "run" reply's "clock" into `seen`, the clock of the replies so
/// far ("" before the first): the first word stays while the replies
/// agree, "mixed" once two differ; a reply without one counts as "none".
void noteClock(std::string &seen, const llvm::json::Object &reply);

/// Keeps a reply's "device-error" message in `seen` (the runner can run
/// nothing on its device: the tune stops with it); other replies leave it.
void noteDeviceError(std::string &seen, const llvm::json::Object &reply);

/// The clock for a report line: "CPU time", "wall time", "clock not
/// reported by the runner" (none said), "mixed clocks", else "clock WORD".
std::string clockLabel(llvm::StringRef seen);

class RunnerProcess {
public:
  /// `logPath`: where the runner's stderr goes (Halide's and LLVM's crash
  /// reports); empty: the tuner's stderr.
  RunnerProcess(std::string executable, int threads, std::string logPath = "");
  /// Another runner: `command` is its argv (command[0] a path, not looked
  /// up in PATH), e.g. node and tuner/runners/wasm_runner.mjs.
  RunnerProcess(std::vector<std::string> command, int threads, std::string logPath = "");
  ~RunnerProcess();
  RunnerProcess(const RunnerProcess &) = delete;
  RunnerProcess &operator=(const RunnerProcess &) = delete;

  /// Sends a request (starting the process if needed).
  llvm::Error send(const llvm::json::Object &request);
  /// Waits up to `seconds` for the reply to the last request (a process's
  /// first reply gets kStartSeconds more: it also covers the start). On a crash or
  /// a timeout the process is killed and `reply` is untouched; the next
  /// send starts a fresh one (which knows no tasks or candidates).
  Outcome receive(double seconds, llvm::json::Object &reply);
  /// How many times a process was started: a change means the runner lost
  /// its compiled candidates and references.
  unsigned generation() const { return starts; }
  /// What runs the code, as the runner's last reply that said it
  /// ("device_version", in its "compile" replies) put it: "" until one did.
  const std::string &deviceVersion() const { return version; }
  /// What a runner's start may take on top of its first request: the
  /// Chromium runner launches a browser and finds its page's thread (2-15 s
  /// at load 5-7, measured), which made the first compile of a large
  /// kernel pass the 30 s request timeout and its template "crash".
  static constexpr double kStartSeconds = 60;
  void stop();

private:
  llvm::Error start();
  std::vector<std::string> command;
  int threads;
  std::string logPath;
  pid_t pid = -1;
  int toChild = -1, fromChild = -1;
  std::string pending; ///< bytes read past the last reply
  unsigned starts = 0;
  std::string version; ///< deviceVersion()
  bool fresh = false;  ///< started, no reply yet: its start counts too
};

} // namespace kiln::tuner

#endif
