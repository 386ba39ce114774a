//===- QuietStderr.cpp - keep Halide's chatter off the user's terminal ----===//
#include "codegen/halide/QuietStderr.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <unistd.h>

namespace kiln::codegen {
namespace {

std::mutex mutex;
int users = 0;
// Plain ints: the signal handler reads them.
volatile int savedStderr = -1;
volatile int captureFd = -1;
struct sigaction oldAbort, oldSegv;

// On a fatal signal while captured: the text so far (the crash message is
// usually its last line) goes to the real stderr, then the old handler runs.
// Only async-signal-safe calls here.
void onFatalSignal(int sig) {
  int saved = savedStderr, capture = captureFd;
  if (saved >= 0 && capture >= 0) {
    dup2(saved, 2);
    char buffer[4096];
    if (lseek(capture, 0, SEEK_SET) == 0) {
      ssize_t n;
      while ((n = read(capture, buffer, sizeof buffer)) > 0)
        if (write(2, buffer, n) < 0)
          break;
    }
  }
  sigaction(SIGABRT, &oldAbort, nullptr);
  sigaction(SIGSEGV, &oldSegv, nullptr);
  raise(sig);
}

} // namespace

bool QuietStderr::disabled() {
  const char *log = std::getenv("KILN_HALIDE_LOG");
  return (log && *log && std::strcmp(log, "0") != 0) || std::getenv("HL_DEBUG_CODEGEN");
}

QuietStderr::QuietStderr() {
  if (disabled())
    return;
  std::lock_guard<std::mutex> lock(mutex);
  if (users++ > 0) {
    active = true;
    return;
  }
  char path[] = "/tmp/kiln-halide-log-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    --users;
    return;
  }
  unlink(path); // anonymous: gone with the last descriptor
  std::cerr.flush();
  std::fflush(stderr);
  savedStderr = dup(2);
  if (savedStderr < 0) {
    close(fd);
    --users;
    return;
  }
  captureFd = fd;
  struct sigaction action = {};
  action.sa_handler = onFatalSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGABRT, &action, &oldAbort);
  sigaction(SIGSEGV, &action, &oldSegv);
  dup2(fd, 2);
  active = true;
}

QuietStderr::~QuietStderr() {
  if (!active)
    return;
  std::lock_guard<std::mutex> lock(mutex);
  if (--users > 0)
    return;
  std::cerr.flush();
  std::fflush(stderr);
  sigaction(SIGABRT, &oldAbort, nullptr);
  sigaction(SIGSEGV, &oldSegv, nullptr);
  int saved = savedStderr, capture = captureFd;
  savedStderr = -1;
  captureFd = -1;
  dup2(saved, 2);
  close(saved);
  close(capture);
}

} // namespace kiln::codegen
