//===- HostTensor.cpp - a tensor in host memory ---------------------------===//
#include "targets/jit/HostTensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

namespace kiln::codegen {

static constexpr struct {
  DType dtype;
  llvm::StringLiteral name;
  size_t bytes;
} kDTypes[] = {
    {DType::F32, "float32", 4}, {DType::F16, "float16", 2}, {DType::BF16, "bfloat16", 2},
    {DType::F64, "float64", 8}, {DType::I8, "int8", 1},     {DType::I16, "int16", 2},
    {DType::I32, "int32", 4},   {DType::I64, "int64", 8},   {DType::U8, "uint8", 1},
    {DType::U16, "uint16", 2},  {DType::U32, "uint32", 4},  {DType::U64, "uint64", 8},
    {DType::Bool, "bool", 1},
};

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
    unsigned w = i.getWidth();
    if (w == 1)
      return DType::Bool;
    bool u = i.isUnsigned();
    switch (w) {
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

size_t dtypeBytes(DType dtype) {
  for (auto &d : kDTypes)
    if (d.dtype == dtype)
      return d.bytes;
  return 0;
}

llvm::StringRef dtypeName(DType dtype) {
  for (auto &d : kDTypes)
    if (d.dtype == dtype)
      return d.name;
  return "?";
}

llvm::Expected<DType> parseDType(llvm::StringRef name) {
  for (auto &d : kDTypes)
    if (d.name == name)
      return d.dtype;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), "unknown dtype '" + name + "'");
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

HostTensor HostTensor::zeros(std::string name, DType dtype, std::vector<int64_t> shape) {
  HostTensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.assign(t.byteSize(), 0);
  return t;
}

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  return llvm::join(llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }), "x");
}

} // namespace kiln::codegen
