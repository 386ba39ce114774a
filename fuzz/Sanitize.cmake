# The fuzz build's compiler flags (fuzz/README.md), included by the top-level
# CMakeLists.txt before any of Kiln's folders when KILN_FUZZ is on: every Kiln
# target gets libFuzzer's coverage, AddressSanitizer and UndefinedBehavior-
# Sanitizer. System libraries (MLIR, LLVM, libonnx, protobuf) stay as Debian
# built them. Build it in its own directory (scripts/fuzz.sh: build-fuzz/).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "KILN_FUZZ needs clang for libFuzzer: "
                      "-DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19")
endif()
# -O1 as libFuzzer's documentation suggests; line tables for stack traces; no
# NDEBUG, so that Kiln's asserts and LLVM's cast<> checks stay on.
foreach(config RELEASE RELWITHDEBINFO MINSIZEREL DEBUG)
  set(CMAKE_C_FLAGS_${config} "-O1 -gline-tables-only")
  set(CMAKE_CXX_FLAGS_${config} "-O1 -gline-tables-only")
endforeach()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
