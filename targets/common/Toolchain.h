//===- Toolchain.h - running clang and llvm-ar for artifacts -----*- C++ -*-===//
//
// Targets link their artifacts with LLVM 19's tools from Debian (clang-19,
// llvm-ar-19, wasm-ld-19), found on PATH or in /usr/lib/llvm-19/bin; the
// arm64 Linux target also with Debian's cross compiler
// (aarch64-linux-gnu-gcc, on PATH).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_COMMON_TOOLCHAIN_H
#define KILN_TARGETS_COMMON_TOOLCHAIN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::toolchain {

/// Finds `name` (e.g. "clang-19") or its unversioned twin in LLVM 19's bin.
llvm::Expected<std::string> findTool(llvm::StringRef name);

/// Runs a tool; on failure the error carries the command and its stderr.
llvm::Error run(llvm::StringRef tool, llvm::ArrayRef<std::string> args);

/// Writes `contents` to `path`.
llvm::Error writeFile(llvm::StringRef path, llvm::StringRef contents);

/// A fresh temporary directory, removed (with its files) on destruction.
class TempDir {
public:
  static llvm::Expected<TempDir> create(llvm::StringRef prefix);
  TempDir(TempDir &&other);
  ~TempDir();
  const std::string &path() const { return dir; }
  std::string file(llvm::StringRef name) const;

private:
  TempDir() = default;
  std::string dir;
};

/// Folders that are not TempDirs but go like them when the process is
/// interrupted (SIGINT, SIGTERM, SIGHUP) or crashes: kiln-tune's work folder,
/// which keeps its runners' logs on a normal failed-candidate exit.
/// `forgetOnSignal` when its owner has dealt with it.
void removeOnSignal(llvm::StringRef dir);
void forgetOnSignal(llvm::StringRef dir);
/// A line written to stderr when the process is interrupted (before it
/// ends with SIGTERM's status): what the user can do next.
void setInterruptNote(llvm::StringRef note);

/// Moves each of `files` from `fromDir` into `toDir` (created if missing) by
/// rename, only after all of them exist: a failed build leaves the output
/// directory as it was.
llvm::Error publish(const TempDir &fromDir, llvm::StringRef toDir,
                    llvm::ArrayRef<std::string> files);

} // namespace kiln::toolchain

#endif
