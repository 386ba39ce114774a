# The fuzz targets' extra compile flag (fuzz/README.md), included by the
# top-level CMakeLists.txt after its KILN_SANITIZE flags (ASan + UBSan, -O1,
# asserts on) when KILN_FUZZ is on. Every Kiln object gets libFuzzer's
# coverage instrumentation (-fsanitize=fuzzer-no-link); only the kiln-fuzz-*
# executables link libFuzzer's main (fuzz/CMakeLists.txt), so kiln-opt,
# kilnc and the unit tests of the same build run as ordinary programs: the
# sanitizer runtime has the coverage callbacks' default (empty) definitions.
# One build directory (build-asan/) serves scripts/sanitize.sh and
# scripts/fuzz.sh. System libraries (MLIR, LLVM, libonnx, protobuf) stay as
# Debian built them.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "KILN_FUZZ needs clang for libFuzzer: "
                      "-DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19")
endif()
add_compile_options(-fsanitize=fuzzer-no-link)
