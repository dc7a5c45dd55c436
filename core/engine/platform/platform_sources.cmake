# The platform layer's sources (torch-free, Qt-free), relative to core/engine.
# Listed once, for the engine (core/engine/CMakeLists.txt) and for the builds
# that test this layer alone: natively (tests/platform) and cross-compiled for
# Windows with mingw-w64, run under wine (tests/windows).
set(SAMLABEL_PLATFORM_COMMON_SOURCES
  platform/nvml_probe.cpp
  platform/gpu_usage_split.cpp
  platform/windows_memory_counters.cpp
  platform/dxgi_adapter_match.cpp
)
set(SAMLABEL_PLATFORM_WINDOWS_SOURCES
  platform/mapped_file_windows.cpp
  platform/memory_probe_windows.cpp
  platform/dxgi_adapters_windows.cpp
)
set(SAMLABEL_PLATFORM_WINDOWS_LIBS psapi dxgi)
set(SAMLABEL_PLATFORM_POSIX_SOURCES
  platform/mapped_file_posix.cpp
  platform/memory_probe_linux.cpp
)

# Console stop requests (Ctrl+C, SIGTERM, Ctrl+Break, closing the console) and
# the break a training command gets on cancel: a library of their own
# (samlabel_platform_console), used by samlabel-cli and core/service.
set(SAMLABEL_PLATFORM_CONSOLE_COMMON_SOURCES
  platform/console_stop.cpp
)
set(SAMLABEL_PLATFORM_CONSOLE_WINDOWS_SOURCES
  platform/console_stop_windows.cpp
  platform/console_break_windows.cpp
)
set(SAMLABEL_PLATFORM_CONSOLE_POSIX_SOURCES
  platform/console_stop_posix.cpp
  platform/console_break_posix.cpp
)

# Shared memory two processes map by name (the click channel's shared answers):
# a library of its own (samlabel_platform_shared_memory), used by core/service.
set(SAMLABEL_PLATFORM_SHARED_MEMORY_COMMON_SOURCES
  platform/shared_memory_region.cpp
)
set(SAMLABEL_PLATFORM_SHARED_MEMORY_WINDOWS_SOURCES
  platform/shared_memory_region_windows.cpp
)
set(SAMLABEL_PLATFORM_SHARED_MEMORY_POSIX_SOURCES
  platform/shared_memory_region_posix.cpp
)
