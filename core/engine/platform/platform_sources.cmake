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
