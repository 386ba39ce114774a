//===- WasmBinary.h - reading what a linked .wasm imports --------*- C++ -*-===//
//
// A Kiln module must import nothing (the shim provides every function the
// runtime needs), so the target reads the import section of what wasm-ld
// wrote and refuses a module that still needs something from its host: a
// libc function new to Halide's runtime would otherwise show up only as a
// LinkError in the browser.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_WASM_WASMBINARY_H
#define KILN_TARGETS_WASM_WASMBINARY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace kiln::wasm {

/// "module.field" for each import of a WebAssembly binary, in order. Fails on
/// anything that is not a well-formed module (bad magic, truncated section).
llvm::Expected<std::vector<std::string>> listImports(llvm::StringRef binary);

/// The minimum size, in 64 KiB pages, of the memory a module imports (a
/// threaded module's shared memory, which the loader creates); 0 if none.
llvm::Expected<uint64_t> importedMemoryPages(llvm::StringRef binary);

} // namespace kiln::wasm

#endif
