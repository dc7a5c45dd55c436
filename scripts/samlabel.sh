#!/usr/bin/env bash
# samlabel's one entry point for a fresh Debian/Ubuntu machine.
#   scripts/samlabel.sh run    install what is missing, build, start the GUI on the sample images
#   scripts/samlabel.sh test   install what is missing, build, run every test
#   scripts/samlabel.sh setup | build     the steps on their own
#   (`test` also builds and runs build-sanitize: the torch-free code under ASan + UBSan,
#   and the fuzz targets over their corpora; docs/fuzzing.md)
# Idempotent: a second run installs nothing and rebuilds only what changed.
# The virtualenv, pip cache and ccache live under ~/.cache/samlabel (keyed by the
# requirements' hash), so every clone of the project reuses them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SAMLABEL_CACHE:-$HOME/.cache/samlabel}
build=${SAMLABEL_BUILD_DIR:-$root/build}
# The torch-free libraries again, with clang + ASan + UBSan and the libFuzzer
# targets (docs/fuzzing.md); `test` builds and runs it after the main build.
sanitize_build=${SAMLABEL_SANITIZE_BUILD_DIR:-$build-sanitize}
requirements=$root/tools/requirements.txt
req_hash=$(sha256sum "$requirements" | cut -c1-12)
venv=$cache/venv-$req_hash

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config
  clang   # the sanitizer + fuzz build (build-sanitize); its libFuzzer runtime: install_fuzzer_runtime
  qt6-base-dev qt6-httpserver-dev qt6-websockets-dev libxkbcommon-dev
  libqt6svg6  # draws the bundled SVG icons (resources/icons/breeze)
  libopencv-dev libqcustomplot-dev libqcustomplot2.1-qt6 nlohmann-json3-dev
  libopenblas0-pthread xvfb xauth imagemagick
  python3 python3-venv
  g++-mingw-w64-x86-64-posix wine64 nsis   # the Windows build of the platform layer, tested under wine (label wine)
  dpkg-dev file x11-utils desktop-file-utils   # the .deb: cpack -G DEB and its test (label package)
)

log() { printf '\033[1m[samlabel]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_system_packages() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # A pyenv or other python3 already on PATH brings venv support of its own.
  if printf '%s\n' "${missing[@]}" | grep -qx 'python3-venv\|python3' && python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing=($(printf '%s\n' "${missing[@]}" | grep -vx 'python3-venv\|python3' || true))
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# libFuzzer and the sanitizer runtimes come with clang's compiler-rt package
# (libclang-rt-N-dev on Debian 12 / Ubuntu 24.04), which apt's
# --no-install-recommends leaves out.
install_fuzzer_runtime() {
  local lib
  lib=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a)
  [ -f "$lib" ] && return 0
  local major
  major=$(clang++ -dumpversion | cut -d. -f1)
  log "installing libclang-rt-$major-dev (libFuzzer for the sanitizer build)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "libclang-rt-$major-dev" >/dev/null
}

install_python_env() {
  if [ -f "$venv/.complete" ]; then return 0; fi
  log "creating $venv (torch wheel for libtorch, test tools); first time only"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --cache-dir "$cache/pip" -r "$requirements"
  touch "$venv/.complete"
}

setup() {
  install_system_packages
  install_fuzzer_runtime
  install_python_env
}

# A full build (torch-heavy objects with debug info) takes about 10 GiB; a full
# disk otherwise shows up as "cannot write PCH file" deep in the compile log.
check_free_space() {
  local need_gib=3 dir=$build
  [ -f "$build/build.ninja" ] || need_gib=10
  while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
  local free_gib
  free_gib=$(df -P -BG "$dir" | awk 'NR==2 { sub("G", "", $4); print $4 }')
  if [ "$free_gib" -lt "$need_gib" ]; then
    log "only ${free_gib} GiB free on the disk holding $dir; building needs about ${need_gib} GiB"
    log "free some space (or point SAMLABEL_BUILD_DIR at a roomier disk) and run this again"
    exit 1
  fi
}

use_ccache() {
  export CCACHE_DIR=${CCACHE_DIR:-$cache/ccache}
  # Paths relative to the clone, so a fresh clone elsewhere hits the same cache.
  export CCACHE_BASEDIR=$root
  # -g makes ccache hash the build folder's absolute path unless told not to;
  # without this every fresh clone (CI's included) missed the whole cache.
  export CCACHE_NOHASHDIR=1
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
}

configure_and_build() {
  check_free_space
  use_ccache
  local torch_prefix
  torch_prefix=$("$venv/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
  # The reference checks need the venv's Python compiled in: a build folder
  # configured without it (or with another venv) is configured again.
  if [ ! -f "$build/build.ninja" ] ||
     ! grep -qxF "SAMLABEL_PYTHON:FILEPATH=$venv/bin/python" "$build/CMakeCache.txt" 2>/dev/null; then
    log "configuring $build"
    cmake -S "$root" -B "$build" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_PREFIX_PATH="$torch_prefix" \
      -DSAMLABEL_PYTHON="$venv/bin/python" >/dev/null
  fi
  log "building"
  cmake --build "$build" -- -j"${SAMLABEL_JOBS:-$(nproc)}"
}

# The sanitizer build: the torch-free libraries (engine checkpoint/config/text
# parsing, annotation, io, autolabel, the control API's request parsing), their
# tests and the fuzz targets, with clang + ASan + UBSan (any report fatal).
# Mostly ccache hits after the first run; about 2 minutes from cold (docs/fuzzing.md).
configure_and_build_sanitize() {
  use_ccache
  if [ ! -f "$sanitize_build/build.ninja" ] ||
     ! grep -qxF "SAMLABEL_PYTHON:FILEPATH=$venv/bin/python" "$sanitize_build/CMakeCache.txt" 2>/dev/null; then
    log "configuring $sanitize_build (clang, ASan + UBSan, libFuzzer targets)"
    CXX=clang++ cmake -S "$root" -B "$sanitize_build" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSAMLABEL_TORCH=OFF -DSAMLABEL_SANITIZE=ON \
      -DSAMLABEL_PYTHON="$venv/bin/python" >/dev/null
  fi
  log "building $sanitize_build"
  cmake --build "$sanitize_build" -- -j"${SAMLABEL_JOBS:-$(nproc)}"
}

# The sanitizer build's tests: the torch-free unit tests under ASan + UBSan
# (but test_export_consumers: Ultralytics training on the export, 45 s; the main
# build runs it) and each
# fuzz target over its committed corpus, then a few seconds of mutation.
run_sanitize_tests() {
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    run_ctest "$sanitize_build" -E '^test_export_consumers$' "$@"
}

# A skipped test proves nothing: ctest marks a Qt test that skipped and failed
# nothing as "Skipped" (tests/CMakeLists.txt), and this command, which CI runs,
# fails on it and names it with its reasons.
run_tests() {
  run_ctest "$build" "$@"
}

run_ctest() {
  local dir=$1
  shift
  export QT_QPA_PLATFORM=offscreen
  export SAMLABEL_PYTHON=$venv/bin/python
  cd "$dir"
  local out status=0
  out=$(mktemp)
  ctest --output-on-failure -j"${SAMLABEL_TEST_JOBS:-2}" "$@" 2>&1 | tee "$out" || status=$?
  local skipped
  skipped=$(sed -n 's/^[[:space:]]*[0-9][0-9]* - \(.*\) (Skipped)[[:space:]]*$/\1/p' "$out")
  rm -f "$out"
  if [ -n "$skipped" ]; then
    log "skipped tests count as failures here: $(echo $skipped)"
    grep -h '^SKIP ' Testing/Temporary/LastTest.log >&2 || true
    [ "$status" -ne 0 ] || status=1
  fi
  return "$status"
}

run_gui() {
  local samples=$root/resources/samples
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    log "no display: starting under xvfb-run (screenshots only)"
    exec xvfb-run -a -s "-screen 0 1600x1000x24" "$build/app/samlabel" "$samples" "$@"
  fi
  exec "$build/app/samlabel" "$samples" "$@"
}

cmd=${1:-}
shift || true
case "$cmd" in
  setup) setup ;;
  build) setup; configure_and_build ;;
  test)
    setup; configure_and_build
    status=0
    run_tests "$@" || status=$?
    configure_and_build_sanitize
    run_sanitize_tests "$@" || status=$?
    exit "$status" ;;
  run)   setup; configure_and_build; run_gui "$@" ;;
  *) echo "usage: $0 run|test|setup|build" >&2; exit 2 ;;
esac
