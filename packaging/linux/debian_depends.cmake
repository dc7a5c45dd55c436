# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS, packaging/linux/deb_package.cmake):
# runs on the staged package and completes its Depends line with what
# dpkg-shlibdeps reads from samlabel's own executables (Qt 6, OpenCV,
# QCustomPlot, the C++ runtime, with the versions their symbols need), in front
# of the packages set by hand in CPACK_DEBIAN_PACKAGE_DEPENDS.
#
# Not CPACK_DEBIAN_PACKAGE_SHLIBDEPS: that runs dpkg-shlibdeps over every ELF file,
# so over the 3 GB of libraries copied from the torch wheel, whose only needs
# outside the package are glibc, libstdc++, libgcc and zlib; it takes over a
# minute on two cores, and fails outright on libcaffe2_nvrtc.so's NEEDED
# libcuda.so.1, which comes with the NVIDIA driver, not a Debian package.
# tests/package checks that every NEEDED entry of every file in the package is
# met inside it or by a package in Depends.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
find_program(SAMLABEL_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT SAMLABEL_DPKG_SHLIBDEPS)
  message(FATAL_ERROR "debian_depends.cmake: dpkg-shlibdeps is missing (Debian package dpkg-dev)")
endif()

set(staging "${CPACK_TEMPORARY_DIRECTORY}")
set(executables usr/bin/samlabel usr/bin/samlabel-cli)
foreach(exe IN LISTS executables)
  if(NOT EXISTS "${staging}/${exe}")
    message(FATAL_ERROR "debian_depends.cmake: ${staging}/${exe} was not installed")
  endif()
endforeach()
# dpkg-shlibdeps wants debian/control, and DEBIAN/ to resolve $ORIGIN in the
# executables' RUNPATH (so it sees libtorch as part of this package).
file(MAKE_DIRECTORY "${staging}/debian" "${staging}/DEBIAN")
file(WRITE "${staging}/debian/control" "")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C ${SAMLABEL_DPKG_SHLIBDEPS} --ignore-missing-info -O ${executables}
  WORKING_DIRECTORY "${staging}"
  OUTPUT_VARIABLE shlibdeps_out
  ERROR_VARIABLE shlibdeps_err
  RESULT_VARIABLE shlibdeps_result)
file(REMOVE_RECURSE "${staging}/debian" "${staging}/DEBIAN")  # not part of the package
if(NOT shlibdeps_result EQUAL 0 OR NOT shlibdeps_out MATCHES "shlibs:Depends=([^\n]+)")
  message(FATAL_ERROR "debian_depends.cmake: dpkg-shlibdeps ${executables} failed (${shlibdeps_result}):\n${shlibdeps_err}")
endif()
if(CPACK_DEBIAN_PACKAGE_DEPENDS)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CMAKE_MATCH_1}, ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CMAKE_MATCH_1}")
endif()
message(STATUS "samlabel: Depends: ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
