# Install-time script (install(CODE), packaging/linux/deb_package.cmake): copies
# the libtorch libraries that samlabel loads out of the tree the build took them
# from (the PyPI wheel's site-packages), keeping that tree's layout under
# SAMLABEL_PRIVATE_LIBDIR, so the libraries' own RPATHs
# ($ORIGIN/../../nvidia/<pkg>/lib) still find each other. Also copies the
# licence files of the wheels (dist-infos) that those libraries came from.
#
# Inputs: SAMLABEL_TORCH_TREE (the folder holding torch/ and nvidia/),
# SAMLABEL_EXECUTABLES (the built executables; their build RPATH points into the
# tree), SAMLABEL_PRIVATE_LIBDIR and SAMLABEL_LICENCE_DIR (absolute, under the
# install prefix; DESTDIR is added by file(INSTALL)).
cmake_policy(VERSION 3.25)  # install scripts start with no policies set (IN_LIST, cmake_path)

foreach(var SAMLABEL_TORCH_TREE SAMLABEL_EXECUTABLES SAMLABEL_PRIVATE_LIBDIR SAMLABEL_LICENCE_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "install_torch_libraries.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT IS_DIRECTORY "${SAMLABEL_TORCH_TREE}/torch/lib")
  message(FATAL_ERROR "install_torch_libraries.cmake: ${SAMLABEL_TORCH_TREE} holds no torch/lib: is libtorch from the PyPI wheel?")
endif()

# What the executables and those libraries load with dlopen, so no NEEDED
# entry names them (the CUDA wheel only; each glob is empty for the CPU wheel):
# - libcaffe2_nvrtc.so: libtorch_cuda's lazy NVRTC, for kernels compiled at run time;
# - cuDNN 9's sub-libraries: libcudnn.so.9 is a shim that opens them (graph, ops,
#   cnn, adv, engines_*, heuristic, ext) when a convolution or attention runs;
# - libnvrtc-builtins: opened by libnvrtc when it compiles.
# Left out on purpose: libtorch_cuda_linalg.so (opened only by torch.linalg's CUDA
# ops, which samlabel does not use; it would bring cuSOLVER's 270 MB), torch's
# Python modules (libtorch_python, libshm, libtorch_global_deps), NVSHMEM's
# bootstrap/transport plugins (multi-GPU symmetric memory), cuFile's RDMA plugin,
# and CUPTI's profiler libraries (nvperf).
file(GLOB samlabel_dlopened
  "${SAMLABEL_TORCH_TREE}/torch/lib/libcaffe2_nvrtc.so"
  "${SAMLABEL_TORCH_TREE}/nvidia/*/lib/libcudnn_*.so.*"
  "${SAMLABEL_TORCH_TREE}/nvidia/*/lib/libnvrtc-builtins.so.*")

# The closure of NEEDED entries, resolved as the loader would (RPATH, RUNPATH);
# only what lies inside the tree is ours, the rest comes from Debian packages
# (the package's Depends, from dpkg-shlibdeps) and is not followed.
string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" samlabel_tree_regex "${SAMLABEL_TORCH_TREE}")
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES ${SAMLABEL_EXECUTABLES}
  LIBRARIES ${samlabel_dlopened}
  RESOLVED_DEPENDENCIES_VAR samlabel_resolved
  UNRESOLVED_DEPENDENCIES_VAR samlabel_unresolved
  POST_INCLUDE_REGEXES "^${samlabel_tree_regex}/"
  POST_EXCLUDE_REGEXES ".*")
# libcuda.so.1 is the NVIDIA driver's (libcaffe2_nvrtc names it): it comes with
# the driver, never with an application.
list(REMOVE_ITEM samlabel_unresolved libcuda.so.1)
if(samlabel_unresolved)
  message(FATAL_ERROR "install_torch_libraries.cmake: cannot find ${samlabel_unresolved}, needed by samlabel's executables or libtorch")
endif()

# CPack's own staging folder (DESTDIR under _CPack_Packages/), packed and then
# deleted: hard links instead of copies where the tree is on the same file
# system, 3.4 GB less to write (CPack only reads them). Any other install copies.
set(samlabel_hard_link OFF)
if("$ENV{DESTDIR}" MATCHES "/_CPack_Packages/")
  set(samlabel_hard_link ON)
endif()

set(samlabel_installed "")
foreach(lib IN LISTS samlabel_resolved samlabel_dlopened)
  cmake_path(NORMAL_PATH lib)
  file(RELATIVE_PATH rel "${SAMLABEL_TORCH_TREE}" "${lib}")
  if(rel MATCHES "^\\.\\./" OR IS_ABSOLUTE "${rel}")
    message(FATAL_ERROR "install_torch_libraries.cmake: ${lib} lies outside ${SAMLABEL_TORCH_TREE}")
  endif()
  if(rel IN_LIST samlabel_installed)
    continue()
  endif()
  list(APPEND samlabel_installed "${rel}")
  cmake_path(GET rel PARENT_PATH rel_dir)
  if(samlabel_hard_link AND NOT IS_SYMLINK "${lib}")
    set(staged "$ENV{DESTDIR}${SAMLABEL_PRIVATE_LIBDIR}/${rel}")
    message(STATUS "Linking: ${staged}")
    file(MAKE_DIRECTORY "$ENV{DESTDIR}${SAMLABEL_PRIVATE_LIBDIR}/${rel_dir}")
    file(REMOVE "${staged}")
    file(CREATE_LINK "${lib}" "${staged}" COPY_ON_ERROR)
  else()
    file(INSTALL DESTINATION "${SAMLABEL_PRIVATE_LIBDIR}/${rel_dir}" TYPE SHARED_LIBRARY
      FOLLOW_SYMLINK_CHAIN FILES "${lib}")
  endif()
endforeach()

# The licences of the wheels those files came from (their RECORD lists them):
# the dist-info's licenses/ folder (PEP 639), else the licence files the RECORD
# lists (cuSPARSELt keeps its LICENSE.txt beside its lib/).
file(GLOB samlabel_records "${SAMLABEL_TORCH_TREE}/*.dist-info/RECORD")
foreach(record IN LISTS samlabel_records)
  file(STRINGS "${record}" record_files)
  list(TRANSFORM record_files REPLACE ",.*" "")
  set(ships_one OFF)
  foreach(rel IN LISTS samlabel_installed)
    if(rel IN_LIST record_files)
      set(ships_one ON)
      break()
    endif()
  endforeach()
  if(NOT ships_one)
    continue()
  endif()
  cmake_path(GET record PARENT_PATH dist_info)
  cmake_path(GET dist_info STEM LAST_ONLY dist_name)  # torch-2.15.0
  set(destination "${SAMLABEL_LICENCE_DIR}/${dist_name}")
  if(IS_DIRECTORY "${dist_info}/licenses")
    file(INSTALL DESTINATION "${destination}" TYPE DIRECTORY FILES "${dist_info}/licenses/")
    continue()
  endif()
  list(FILTER record_files INCLUDE REGEX "(^|/)([Ll][Ii][Cc][Ee][Nn][CcSs][Ee]|COPYING)[^/]*$")
  list(TRANSFORM record_files PREPEND "${SAMLABEL_TORCH_TREE}/")
  if(NOT record_files)
    message(FATAL_ERROR "install_torch_libraries.cmake: ${dist_info} ships libraries samlabel installs but names no licence file")
  endif()
  file(INSTALL DESTINATION "${destination}" TYPE FILE FILES ${record_files})
endforeach()
list(LENGTH samlabel_installed count)
message(STATUS "samlabel: installed ${count} libraries from ${SAMLABEL_TORCH_TREE}")
