//===- Outline.h - shared by the passes that form kiln.kernel regions -*- C++ -*-===//
//
// Which TOSA ops anchor a kernel, which fuse for free, and how a group of
// ops becomes a kiln.kernel with its structural hash. FormKernels cuts the
// graph with these; FuseBlocks re-cuts groups of kernels with them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_KILN_TRANSFORMS_OUTLINE_H
#define KILN_DIALECTS_KILN_TRANSFORMS_OUTLINE_H

#include "dialects/kiln/KilnOps.h"

#include <string>

namespace kiln {

/// Convolutions, matmuls, pooling and reductions: the ops a kernel is built
/// around (its loop nest is theirs).
bool isAnchorOp(mlir::Operation *op);

/// Ops computed point by point, which fuse into their producer's loop nest.
bool isElementwiseOp(mlir::Operation *op);

/// Constants stay outside kernels as their weight inputs.
bool isConstantOp(mlir::Operation *op);

/// A tosa.conv2d with a 1x1 window, unit stride and dilation and no padding:
/// a matmul over channels per pixel (a block's expand and project convs).
bool isPointwiseConv(mlir::Operation *op);

/// The hash of a kernel's body printed in generic form with local names:
/// kernels with equal ops, attributes, shapes and types hash the same.
std::string structuralHash(KernelOp kernel);

/// Moves `group` (ops of one block, in order) into a new kiln.kernel named
/// `name`, placed where the last op was, and sets its hash. Every value that
/// escapes the group must be used after that point.
KernelOp outlineKernel(llvm::ArrayRef<mlir::Operation *> group, llvm::StringRef name);

} // namespace kiln

#endif
