# -DSAMLABEL_SANITIZE=ON: every object with AddressSanitizer + UndefinedBehaviorSanitizer,
# any finding fatal (-fno-sanitize-recover=all: a UBSan report fails the test that hit it),
# and libFuzzer's coverage instrumentation (fuzzer-no-link) so the fuzz targets in
# tests/fuzz are guided through the libraries' code. Needs clang (libFuzzer).
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "SAMLABEL_SANITIZE needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
if(SAMLABEL_TORCH)
  message(FATAL_ERROR "SAMLABEL_SANITIZE builds the torch-free libraries only: add -DSAMLABEL_TORCH=OFF")
endif()
set(SAMLABEL_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(${SAMLABEL_SANITIZE_FLAGS} -fsanitize=fuzzer-no-link)
add_link_options(${SAMLABEL_SANITIZE_FLAGS})
