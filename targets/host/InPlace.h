//===- InPlace.h - may a kernel write its result over an input? --*- C++ -*-===//
//
// The arena planner (HostPlan.cpp) lets a kernel call write its result into
// the storage of an arena input that dies at that call. That is only correct
// when every output element is computed from the input element at the same
// index before that index is written, and never recomputed after. This file
// decides it, conservatively, from the kernel body and its schedule record.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGETS_HOST_INPLACE_H
#define KILN_TARGETS_HOST_INPLACE_H

#include "dialects/kiln/KilnOps.h"
#include "llvm/ADT/ArrayRef.h"

namespace kiln::host {

enum class InPlaceKind {
  None,        ///< must get its own storage
  Copy,        ///< a same-order copy (reshapes): safe under any schedule
  Elementwise, ///< out[i] = f(in[i], broadcast others) under a tail-free template
};

/// Whether `kernel`'s single result may share storage with the kernel
/// operands at `operands` (all bound to one buffer). The caller checks the
/// rest: that buffer dies at this call and has the result's size.
InPlaceKind inPlaceKind(KernelOp kernel, llvm::ArrayRef<unsigned> operands);

} // namespace kiln::host

#endif
