#!/usr/bin/env bash
# An NSIS install / run / uninstall round trip of the Windows test bundle under
# wine, into a folder with spaces and non-ASCII characters.
# Usage: nsis_round_trip.sh SOURCE_DIR BUILD_DIR (the BUILD_DIR of run_platform_checks.sh)
set -euo pipefail
src=$1 build=$2
wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver
exe=$build/platform_layer_checks.exe
command -v makensis >/dev/null || { echo "nsis_round_trip.sh: makensis is missing: install nsis (scripts/samlabel.sh setup)" >&2; exit 1; }
[ -f "$exe" ] || { echo "nsis_round_trip.sh: $exe is missing: run_platform_checks.sh builds it" >&2; exit 1; }

export WINEPREFIX=$build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
target="$build/installed Grüße ☃"
rm -rf "$target"
windows_target="Z:$(printf '%s' "$target" | tr / '\\')"
makensis -V2 -DBUNDLE_EXE="$exe" -DOUT_FILE="$build/platform-checks-setup.exe" -DINSTALL_DIR="$windows_target" \
  "$src/tests/windows/round_trip.nsi"
trap '"$wineserver" -k 2>/dev/null || true' EXIT

fail() { echo "nsis_round_trip.sh: $*" >&2; exit 1; }
"$wine" "$build/platform-checks-setup.exe" /S
"$wineserver" -w
[ -f "$target/platform_layer_checks.exe" ] || fail "the installer did not put platform_layer_checks.exe into $target"
[ -f "$target/uninstall.exe" ] || fail "the installer wrote no uninstall.exe into $target"
cmp -s "$exe" "$target/platform_layer_checks.exe" || fail "the installed exe differs from the bundle's"
# The installed program runs from there (the UTF-8 path checks: quick, and about paths).
"$wine" "$target/platform_layer_checks.exe" "utf8 path" | tr -d '\r' | tee "$build/installed-run.txt"  # CRLF: text-mode stdout
grep -qxE '[1-9][0-9]* passed, 0 failed' "$build/installed-run.txt" || fail "the installed program's checks did not pass"
# The uninstaller copies itself to a temporary folder and returns at once: wait for it.
"$wine" "$target/uninstall.exe" /S
"$wineserver" -w
[ ! -e "$target" ] || fail "the uninstaller left $target: $(ls -A "$target" | tr '\n' ' ')"
echo "1 passed, 0 failed"
