//===- Progress.cpp - one line per compiled kernel ------------------------===//
#include "targets/common/Progress.h"

#include "llvm/Support/Format.h"

namespace kiln {

KernelProgress::KernelProgress(llvm::raw_ostream *os, unsigned total, llvm::StringRef label)
    : os(os), total(total), label(label.str()), start(std::chrono::steady_clock::now()) {}

void KernelProgress::done(unsigned index, llvm::StringRef kernel, llvm::StringRef schedule,
                          double seconds) {
  if (!os)
    return;
  std::string counter = "[" + std::to_string(index + 1) + "/" + std::to_string(total) + "]";
  *os << counter;
  if (!label.empty())
    *os << " " << label;
  *os << " " << kernel << "  " << schedule << "  " << llvm::format("%.1f s", seconds) << "\n";
  os->flush();
}

void KernelProgress::finish() {
  if (!os)
    return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *os << "compiled " << total << (total == 1 ? " kernel" : " kernels");
  if (!label.empty())
    *os << " (" << label << ")";
  *os << " in " << llvm::format("%.1f s", seconds) << "\n";
  os->flush();
}

} // namespace kiln
