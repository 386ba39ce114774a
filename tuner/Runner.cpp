//===- Runner.cpp - a measuring process the tuner talks to ----------------===//
#include "tuner/Runner.h"

#include "compiler/support/Error.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kiln::tuner {

void noteClock(std::string &seen, const llvm::json::Object &reply) {
  std::string clock = reply.getString("clock").value_or("").str();
  if (seen.empty())
    seen = clock.empty() ? "none" : clock;
  else if (seen != (clock.empty() ? "none" : clock))
    seen = "mixed";
}

void noteDeviceError(std::string &seen, const llvm::json::Object &reply) {
  if (reply.getString("status") != "device-error")
    return;
  seen = reply.getString("message").value_or("").str();
  if (seen.empty())
    seen = "no message";
}

std::string clockLabel(llvm::StringRef seen) {
  if (seen == "cpu")
    return "CPU time";
  if (seen == "wall")
    return "wall time";
  if (seen == "mixed")
    return "mixed clocks";
  if (seen.empty() || seen == "none")
    return "clock not reported by the runner";
  return ("clock " + seen).str();
}

RunnerProcess::RunnerProcess(std::string executable, int threads, std::string logPath)
    : command{std::move(executable), "--runner"}, threads(threads), logPath(std::move(logPath)) {}

RunnerProcess::RunnerProcess(std::vector<std::string> command, int threads, std::string logPath)
    : command(std::move(command)), threads(threads), logPath(std::move(logPath)) {}

RunnerProcess::~RunnerProcess() { stop(); }

void RunnerProcess::stop() {
  if (pid > 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  if (toChild >= 0)
    ::close(toChild);
  if (fromChild >= 0)
    ::close(fromChild);
  pid = -1;
  toChild = fromChild = -1;
  pending.clear();
}

llvm::Error RunnerProcess::start() {
  // Writing to a runner that just died must be an error to handle, not
  // SIGPIPE (whose LLVM handler exits the tuner with status 74).
  std::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    return makeError("cannot create pipes for a runner: " + llvm::Twine(std::strerror(errno)));
  std::string threadsEnv = std::to_string(threads);
  std::vector<char *> argv; // built before fork: the child only execs
  for (std::string &arg : command)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid = ::fork();
  if (pid < 0)
    return makeError("cannot start a runner: " + llvm::Twine(std::strerror(errno)));
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (!logPath.empty()) {
      int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0)
        ::dup2(log, 2);
    }
    ::setenv("HL_NUM_THREADS", threadsEnv.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  toChild = in[1];
  fromChild = out[0];
  ++starts;
  fresh = true;
  return llvm::Error::success();
}

llvm::Error RunnerProcess::send(const llvm::json::Object &request) {
  if (pid <= 0)
    if (llvm::Error err = start())
      return err;
  std::string line;
  llvm::raw_string_ostream(line) << llvm::json::Value(llvm::json::Object(request));
  line += "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(toChild, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      stop(); // it died: the next receive reports the crash
      return llvm::Error::success();
    }
    done += size_t(n);
  }
  return llvm::Error::success();
}

Outcome RunnerProcess::receive(double seconds, llvm::json::Object &reply) {
  if (pid <= 0)
    return Outcome::Crashed;
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration<double>(seconds + (fresh ? kStartSeconds : 0));
  while (true) {
    size_t newline = pending.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      auto value = llvm::json::parse(line);
      if (value && value->getAsObject()) {
        reply = std::move(*value->getAsObject());
        if (std::optional<llvm::StringRef> v = reply.getString("device_version"))
          version = v->str();
        fresh = false;
        return Outcome::Replied;
      }
      if (!value)
        llvm::consumeError(value.takeError());
      continue; // not a reply: ignore stray output
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      stop();
      return Outcome::TimedOut;
    }
    pollfd fd{fromChild, POLLIN, 0};
    int ready = ::poll(&fd, 1, int(std::min<long long>(left, 1 << 30)));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      continue;
    char buffer[1 << 16];
    ssize_t n = ::read(fromChild, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      stop();
      return Outcome::Crashed;
    }
    pending.append(buffer, size_t(n));
  }
}

} // namespace kiln::tuner
