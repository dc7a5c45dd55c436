#!/usr/bin/env bash
# Cross-compiles the platform layer's checks for Windows and runs them under
# wine64. Usage: run_platform_checks.sh SOURCE_DIR BUILD_DIR NLOHMANN_JSON_INCLUDE VERSION [FILTER]
# Needs Debian's g++-mingw-w64-x86-64-posix and wine64 (scripts/samlabel.sh setup).
set -euo pipefail
src=$1 build=$2 json_include=$3 version=$4
shift 4
wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver
for tool in x86_64-w64-mingw32-g++-posix "$wine" "$wineserver"; do
  if ! command -v "$tool" >/dev/null; then
    echo "run_platform_checks.sh: $tool is missing: install g++-mingw-w64-x86-64-posix and wine64 (scripts/samlabel.sh setup)" >&2
    exit 1
  fi
done
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$src/tests/windows" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$src/tests/windows/mingw-w64-x86_64.cmake" \
    -DSAMLABEL_NLOHMANN_JSON_INCLUDE="$json_include" -DSAMLABEL_VERSION="$version" "${launcher[@]}" >/dev/null
fi
cmake -DSAMLABEL_VERSION="$version" "$build" >/dev/null  # the main build's version, also on later runs
cmake --build "$build"

# A wine prefix of its own, inside the build folder; no window system needed.
export WINEPREFIX=$build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
status=0
"$wine" "$build/platform_layer_checks.exe" "$@" || status=$?
"$wineserver" -k 2>/dev/null || true  # the server would otherwise outlive the test
exit $status
