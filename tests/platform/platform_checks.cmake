# samlabel_add_platform_checks(<target> <source root>): the platform layer
# (core/engine/platform, console stop requests, shared memory regions, a load's sampled RAM peak, the safetensors reader over its memory map, atomic
# files, UTF-8 paths, samlabel-cli's UTF-8 arguments) and its checks as one executable: no torch, no Qt, so
# it builds natively (tests/platform) and with mingw-w64 (tests/windows).
# The caller adds nlohmann-json's include folder.
function(samlabel_add_platform_checks target root)
  include(${root}/core/engine/platform/platform_sources.cmake)
  set(platform ${SAMLABEL_PLATFORM_COMMON_SOURCES})
  if(WIN32)
    list(APPEND platform ${SAMLABEL_PLATFORM_WINDOWS_SOURCES} ${SAMLABEL_PLATFORM_CONSOLE_WINDOWS_SOURCES}
         ${SAMLABEL_PLATFORM_SHARED_MEMORY_WINDOWS_SOURCES})
  else()
    list(APPEND platform ${SAMLABEL_PLATFORM_POSIX_SOURCES} ${SAMLABEL_PLATFORM_CONSOLE_POSIX_SOURCES}
         ${SAMLABEL_PLATFORM_SHARED_MEMORY_POSIX_SOURCES})
  endif()
  list(APPEND platform ${SAMLABEL_PLATFORM_CONSOLE_COMMON_SOURCES} ${SAMLABEL_PLATFORM_SHARED_MEMORY_COMMON_SOURCES})
  list(TRANSFORM platform PREPEND ${root}/core/engine/)
  set(checks main test_folder windows_memory_checks gpu_share_checks mapped_file_checks atomic_file_checks
             utf8_path_checks utf8_arguments_checks probe_checks windows_resources_checks console_checks
             peak_sampler_checks shared_memory_checks)
  list(TRANSFORM checks PREPEND ${root}/tests/platform/)
  list(TRANSFORM checks APPEND .cpp)
  add_executable(${target} ${platform} ${checks}
    ${root}/core/engine/safetensors_file.cpp
    ${root}/core/engine/peak_sampler.cpp
    ${root}/core/annotation/atomic_file.cpp
    ${root}/core/io/utf8_path.cpp
    ${root}/app/cli/utf8_arguments.cpp)  # samlabel-cli's UTF-8 command line
  target_include_directories(${target} PRIVATE ${root})
  target_compile_features(${target} PRIVATE cxx_std_20)
  if(WIN32)
    target_link_libraries(${target} PRIVATE ${SAMLABEL_PLATFORM_WINDOWS_LIBS} shell32)
  else()
    find_package(Threads REQUIRED)
    target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)
  endif()
endfunction()
