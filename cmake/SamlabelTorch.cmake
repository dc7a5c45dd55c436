# libtorch >= 2.1 (SDPA, bf16). On this machine it comes from the PyPI torch wheel
# (CMAKE_PREFIX_PATH = torch.utils.cmake_prefix_path, set by scripts/samlabel.sh);
# on Windows point CMAKE_PREFIX_PATH at the official libtorch zip.
#
# The CUDA wheel's TorchConfig probes the CUDA toolkit; nvcc is installed here
# even without a GPU, so the CUDA-enabled build configures and the same binary
# runs on CPU-only machines.
# We compile no CUDA code ourselves; naming the architectures stops Caffe2's
# config from try-running a GPU probe (which fails without a GPU).
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "7.5;8.0;8.6;8.9;9.0" CACHE STRING "CUDA architectures for Caffe2's config")
endif()
find_package(Torch 2.1 REQUIRED)

# The wheel's TORCH_CXX_FLAGS carry -D_GLIBCXX_USE_CXX11_ABI; targets that link
# torch inherit it through the imported target. Keep it global too, so every
# C++ object agrees on std::string's layout.
if(TORCH_CXX_FLAGS)
  separate_arguments(_samlabel_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  add_compile_options(${_samlabel_torch_flags})
endif()
message(STATUS "samlabel: libtorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")

# The PyPI wheel keeps its CUDA libraries in site-packages/nvidia/*/lib and finds
# them through libtorch_cuda's own RPATH at run time. The linker needs them too
# (-rpath-link), and our executables must prefer them over a system CUDA
# toolkit of another minor version (the build RPATH lists them first).
get_filename_component(_samlabel_site_packages "${TORCH_INSTALL_PREFIX}/.." ABSOLUTE)
file(GLOB _samlabel_wheel_cuda_dirs LIST_DIRECTORIES true "${_samlabel_site_packages}/nvidia/*/lib")
if(_samlabel_wheel_cuda_dirs)
  foreach(_dir IN LISTS _samlabel_wheel_cuda_dirs)
    add_link_options("LINKER:-rpath-link,${_dir}")
  endforeach()
  set(CMAKE_BUILD_RPATH ${_samlabel_wheel_cuda_dirs} "${TORCH_INSTALL_PREFIX}/lib")
endif()
