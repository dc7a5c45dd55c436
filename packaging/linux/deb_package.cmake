# The Linux .deb: `cpack -G DEB` in the build folder (packaging/README.md).
#   /usr/bin/samlabel, /usr/bin/samlabel-cli   (side by side: the GUI starts
#                                               `samlabel-cli serve` from its own folder)
#   /usr/lib/samlabel/torch/lib/...            libtorch, from the wheel the build used,
#   /usr/lib/samlabel/nvidia/<pkg>/lib/...     in the wheel's own layout (its RPATHs)
#   /usr/share/applications/samlabel.desktop, the hicolor icon, docs and licences.
# Qt 6, OpenCV, QCustomPlot and the C++ runtime come from Debian packages (Depends).
# Included from packaging/CMakeLists.txt on Linux.

# libtorch's tree: the folder holding torch/ (and, for the CUDA wheel, nvidia/).
get_filename_component(samlabel_torch_tree "${TORCH_INSTALL_PREFIX}/.." ABSOLUTE)
set(samlabel_private_libdir lib/samlabel)

# The executables look for libtorch where they did in the build tree
# (cmake/SamlabelTorch.cmake: torch/lib and the wheel's nvidia/*/lib), now inside
# the installed copy of that tree; nothing points back at the build or the venv.
set(samlabel_install_rpath "")
foreach(dir IN LISTS _samlabel_wheel_cuda_dirs ITEMS "${TORCH_INSTALL_PREFIX}/lib")
  file(RELATIVE_PATH rel "${samlabel_torch_tree}" "${dir}")
  list(APPEND samlabel_install_rpath "$ORIGIN/../${samlabel_private_libdir}/${rel}")
endforeach()
set_target_properties(samlabel samlabel-cli PROPERTIES INSTALL_RPATH "${samlabel_install_rpath}")

install(CODE "
  set(SAMLABEL_TORCH_TREE \"${samlabel_torch_tree}\")
  set(SAMLABEL_EXECUTABLES \"$<TARGET_FILE:samlabel>;$<TARGET_FILE:samlabel-cli>\")
  set(SAMLABEL_PRIVATE_LIBDIR \"\${CMAKE_INSTALL_PREFIX}/${samlabel_private_libdir}\")
  set(SAMLABEL_LICENCE_DIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}/third-party\")
  include(\"${CMAKE_CURRENT_SOURCE_DIR}/linux/install_torch_libraries.cmake\")
")

install(FILES linux/samlabel.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/samlabel.png
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/256x256/apps)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME samlabel)
set(CPACK_PACKAGE_VENDOR samlabel)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Image annotation with SAM3, memory-safe")
set(CPACK_PACKAGE_DESCRIPTION "samlabel annotates folders of images with masks, polygons and boxes,
click-to-segment and text detection by SAM3 (libtorch, CPU or CUDA), and
exports YOLO / COCO / PNG-mask datasets. The SAM3 weights are not included:
they come from Meta under Meta's own licence.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # samlabel_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "samlabel developers")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
# Depends: dpkg-shlibdeps' reading of the executables (debian_depends.cmake, which
# says why not CPACK_DEBIAN_PACKAGE_SHLIBDEPS), then these: zlib1g, NEEDED by
# cuDNN's libraries; libqt6svg6, the SVG icon engine and image format Qt opens
# at run time (no NEEDED entry names them) to draw the bundled icons.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "zlib1g, libqt6svg6")
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_SOURCE_DIR}/linux/debian_depends.cmake)
# The executables only (install(TARGETS)): the libraries from the wheel go as built.
set(CPACK_STRIP_FILES ON)
# zstd over ~3 GB of CUDA libraries: on every core (CMake 3.24+ with libarchive 3.6+).
set(CPACK_DEBIAN_COMPRESSION_TYPE zstd)
set(CPACK_THREADS 0)
include(CPack)
