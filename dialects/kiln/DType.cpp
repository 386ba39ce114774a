//===- DType.cpp - the element types Kiln's IR and artifacts carry --------===//
#include "dialects/kiln/DType.h"

#include "mlir/IR/BuiltinTypes.h"

namespace kiln {

namespace {
struct DTypeInfo {
  DType dtype;
  llvm::StringLiteral name;
  uint8_t bytes;
  DTypeLayout layout;
};
// Every dtype is a kiln_dtype (runtime/kiln_runtime.h): a model takes and
// gives any of them at its boundary.
constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "float32", 4, {2, 32, "KILN_DTYPE_F32"}},
    {DType::F16, "float16", 2, {2, 16, "KILN_DTYPE_F16"}},
    {DType::BF16, "bfloat16", 2, {4, 16, "KILN_DTYPE_BF16"}},
    {DType::F64, "float64", 8, {2, 64, "KILN_DTYPE_F64"}},
    {DType::I8, "int8", 1, {0, 8, "KILN_DTYPE_I8"}},
    {DType::I16, "int16", 2, {0, 16, "KILN_DTYPE_I16"}},
    {DType::I32, "int32", 4, {0, 32, "KILN_DTYPE_I32"}},
    {DType::I64, "int64", 8, {0, 64, "KILN_DTYPE_I64"}},
    {DType::U8, "uint8", 1, {1, 8, "KILN_DTYPE_U8"}},
    {DType::U16, "uint16", 2, {1, 16, "KILN_DTYPE_U16"}},
    {DType::U32, "uint32", 4, {1, 32, "KILN_DTYPE_U32"}},
    {DType::U64, "uint64", 8, {1, 64, "KILN_DTYPE_U64"}},
    {DType::Bool, "bool", 1, {1, 1, "KILN_DTYPE_BOOL"}},
};

const DTypeInfo &info(DType dtype) {
  for (const DTypeInfo &d : kDTypes)
    if (d.dtype == dtype)
      return d;
  return kDTypes[0];
}
} // namespace

llvm::Expected<DType> dtypeOf(mlir::Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF16())
    return DType::F16;
  if (type.isF64())
    return DType::F64;
  if (type.isBF16())
    return DType::BF16;
  if (auto i = llvm::dyn_cast<mlir::IntegerType>(type)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1:
      return DType::Bool;
    case 8:
      return u ? DType::U8 : DType::I8;
    case 16:
      return u ? DType::U16 : DType::I16;
    case 32:
      return u ? DType::U32 : DType::I32;
    case 64:
      return u ? DType::U64 : DType::I64;
    }
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "unsupported element type " + s);
}

mlir::Type mlirTypeOf(mlir::MLIRContext *context, DType dtype) {
  using mlir::IntegerType;
  switch (dtype) {
  case DType::F32:
    return mlir::Float32Type::get(context);
  case DType::F16:
    return mlir::Float16Type::get(context);
  case DType::BF16:
    return mlir::BFloat16Type::get(context);
  case DType::F64:
    return mlir::Float64Type::get(context);
  case DType::Bool:
    return IntegerType::get(context, 1);
  case DType::I8:
  case DType::I16:
  case DType::I32:
  case DType::I64:
    return IntegerType::get(context, layoutOf(dtype).bits);
  case DType::U8:
  case DType::U16:
  case DType::U32:
  case DType::U64:
    return IntegerType::get(context, layoutOf(dtype).bits, IntegerType::Unsigned);
  }
  return mlir::Float32Type::get(context);
}

size_t dtypeBytes(DType dtype) { return info(dtype).bytes; }
llvm::StringRef dtypeName(DType dtype) { return info(dtype).name; }
DTypeLayout layoutOf(DType dtype) { return info(dtype).layout; }
bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16 || dtype == DType::F64;
}

llvm::Expected<DType> parseDType(llvm::StringRef name) {
  for (const DTypeInfo &d : kDTypes)
    if (d.name == name)
      return d.dtype;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "unknown dtype '" + name + "'");
}

} // namespace kiln
