//===- InferenceGuards.h - libonnx shape inference, without its crashes -*- C++ -*-===//
//
// libonnx 1.12's shape inference and version converter trust some of what a
// malformed node says: Conv with weights of another rank than its input,
// ConvTranspose with short attribute lists, a Gemm on a rank-0 input index
// past the end of a shape and crash the process instead of failing. Fuzzing
// found them (fuzz/README.md). This registry hands out libonnx's own schemas
// with a check in front of those inference functions; a check that fails
// throws libonnx's InferenceError, which InferShapes reports like any other.
// Models older than the converter's target are inferred (and so checked)
// before conversion too.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILER_IMPORT_ONNX_INFERENCEGUARDS_H
#define KILN_COMPILER_IMPORT_ONNX_INFERENCEGUARDS_H

namespace onnx {
class ISchemaRegistry;
} // namespace onnx

namespace kiln::onnx_import {

/// libonnx's schema registry with the guarded inference functions; pass it
/// to onnx::shape_inference::InferShapes.
const onnx::ISchemaRegistry *guardedSchemaRegistry();

} // namespace kiln::onnx_import

#endif
