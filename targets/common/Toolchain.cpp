//===- Toolchain.cpp - running clang and llvm-ar for artifacts ------------===//
#include "targets/common/Toolchain.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <list>
#include <mutex>
#include <sys/syscall.h>
#include <unistd.h>

namespace kiln::toolchain {

llvm::Expected<std::string> findTool(llvm::StringRef name) {
  if (auto path = llvm::sys::findProgramByName(name))
    return *path;
  llvm::StringRef base = name.rsplit("-19").first;
  if (auto path = llvm::sys::findProgramByName(base, {"/usr/lib/llvm-19/bin"}))
    return *path;
  if (name.starts_with("aarch64-linux-gnu-"))
    return makeError("cannot find '" + name +
                     "' (install gcc-aarch64-linux-gnu: scripts/setup.sh)");
  return makeError("cannot find '" + name + "' (install clang-19, llvm-19 and lld-19)");
}

llvm::Error run(llvm::StringRef tool, llvm::ArrayRef<std::string> args) {
  auto path = findTool(tool);
  if (!path)
    return path.takeError();
  llvm::SmallString<128> errFile;
  if (auto ec = llvm::sys::fs::createTemporaryFile("kiln-tool", "err", errFile))
    return makeError("cannot create a temporary file: " + ec.message());
  std::vector<llvm::StringRef> argv{*path};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(errFile),
                                                llvm::StringRef(errFile)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*path, argv, std::nullopt, redirects, 0, 0, &message);
  std::string output;
  if (auto buf = llvm::MemoryBuffer::getFile(errFile))
    output = (*buf)->getBuffer().str();
  llvm::sys::fs::remove(errFile);
  if (rc == 0)
    return llvm::Error::success();
  std::string command = *path;
  for (const std::string &a : args)
    command += " " + a;
  return makeError(tool + " failed (" + (message.empty() ? "exit " + std::to_string(rc) : message) +
                   "): " + command + "\n" + llvm::StringRef(output).rtrim());
}

llvm::Error writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  os << contents;
  os.close();
  if (os.has_error())
    return makeError("cannot write '" + path + "': " + os.error().message());
  return llvm::Error::success();
}

// The TempDirs alive in this process, removed by the signal handlers too:
// a kilnc interrupted mid-build (Ctrl-C, a test's timeout: SIGINT, SIGTERM)
// or crashing in a kernel's compile (a Halide abort) left its kiln-cpu-*
// folder of object files in /tmp (issue 20's leftovers). Only SIGKILL
// still leaks one. remove_directories is not async-signal-safe; LLVM's own
// handlers (the stack dump) are not either, and the process is ending.
static std::mutex liveMutex;
static std::list<std::string> &liveDirs() {
  static auto *dirs = new std::list<std::string>; // never destroyed: handlers may run at exit
  return *dirs;
}

// Removes `name` (in directory `parent`) and, if it is a directory,
// everything under it, with system calls and a buffer on the stack only:
// it runs in a signal handler, and a signal that lands inside malloc
// deadlocks anything that allocates (llvm::sys::fs::remove_directories'
// opendir did: a kilnc hung for good in lit kilnc/temp_dirs.test, SIGTERM
// received inside Halide's simplifier's malloc). Entries removed during a
// pass can hide others from it, so a directory is read again from its start
// until a pass removes nothing.
static void removeTreeAt(int parent, const char *name, int depth) {
  int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    ::unlinkat(parent, name, 0);
    return;
  }
  for (bool removed = depth < 16; removed;) {
    removed = false;
    ::lseek(fd, 0, SEEK_SET);
    alignas(8) char buffer[1024];
    long n;
    while ((n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0)
      for (long at = 0; at < n;) {
        const auto *entry = reinterpret_cast<const struct dirent64 *>(buffer + at);
        at += entry->d_reclen;
        const char *child = entry->d_name;
        if (child[0] == '.' && (!child[1] || (child[1] == '.' && !child[2])))
          continue;
        removeTreeAt(fd, child, depth + 1);
        removed = true;
      }
  }
  ::close(fd);
  ::unlinkat(parent, name, AT_REMOVEDIR);
}

static void removeLiveDirs() {
  std::unique_lock<std::mutex> lock(liveMutex, std::try_to_lock);
  if (!lock.owns_lock()) // the signal came while this thread held it
    return;
  // The list is left as it is: freeing takes malloc's lock too, and the
  // process ends after this.
  for (const std::string &d : liveDirs())
    removeTreeAt(AT_FDCWD, d.c_str(), 0);
}

// Never freed: the handler may read it at any time.
static std::atomic<const std::string *> interruptNote{nullptr};

static void installSignalCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Crashes: run before LLVM re-raises the signal.
    llvm::sys::AddSignalHandler([](void *) { removeLiveDirs(); }, nullptr);
    // SIGINT, SIGTERM, SIGHUP: LLVM calls this instead of dying (and has
    // put the default handlers back), so it ends the process itself.
    llvm::sys::SetInterruptFunction([] {
      removeLiveDirs();
      if (const std::string *note = interruptNote.load())
        (void)!::write(2, note->data(), note->size());
      std::raise(SIGTERM);
    });
  });
}

void removeOnSignal(llvm::StringRef dir) {
  installSignalCleanup();
  std::lock_guard<std::mutex> lock(liveMutex);
  liveDirs().push_back(dir.str());
}

void forgetOnSignal(llvm::StringRef dir) {
  std::lock_guard<std::mutex> lock(liveMutex);
  liveDirs().remove(dir.str());
}

void setInterruptNote(llvm::StringRef note) {
  installSignalCleanup();
  interruptNote = new std::string(note.str() + "\n");
}

llvm::Expected<TempDir> TempDir::create(llvm::StringRef prefix) {
  llvm::SmallString<128> path;
  if (auto ec = llvm::sys::fs::createUniqueDirectory(prefix, path))
    return makeError("cannot create a temporary directory: " + ec.message());
  TempDir dir;
  dir.dir = path.str().str();
  removeOnSignal(dir.dir);
  return std::move(dir);
}

TempDir::TempDir(TempDir &&other) : dir(std::move(other.dir)) { other.dir.clear(); }

TempDir::~TempDir() {
  if (dir.empty())
    return;
  llvm::sys::fs::remove_directories(dir);
  forgetOnSignal(dir);
}

std::string TempDir::file(llvm::StringRef name) const {
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, name);
  return path.str().str();
}

llvm::Error publish(const TempDir &fromDir, llvm::StringRef toDir,
                    llvm::ArrayRef<std::string> files) {
  if (auto ec = llvm::sys::fs::create_directories(toDir))
    return makeError("cannot create output directory '" + toDir + "': " + ec.message());
  for (const std::string &f : files)
    if (!llvm::sys::fs::exists(fromDir.file(f)))
      return makeError("internal: '" + f + "' was not produced");
  for (const std::string &f : files) {
    llvm::SmallString<128> target(toDir);
    llvm::sys::path::append(target, f);
    // rename fails across file systems; fall back to copy then rename.
    if (llvm::sys::fs::rename(fromDir.file(f), target)) {
      std::string staging = (target + ".kiln-tmp").str();
      if (auto ec = llvm::sys::fs::copy_file(fromDir.file(f), staging))
        return makeError("cannot write '" + target + "': " + ec.message());
      if (auto ec = llvm::sys::fs::rename(staging, target))
        return makeError("cannot write '" + target + "': " + ec.message());
    }
  }
  return llvm::Error::success();
}

} // namespace kiln::toolchain
