#!/usr/bin/env bash
# check_path_strings.sh ROOT DIR...: fails when C++ sources under ROOT/DIR turn
# user paths into narrow strings (or back) the way that breaks on Windows,
# where path::string(), path(std::string) and char file APIs use the ANSI code
# page and throw or mangle characters outside it. The bug does not show on
# Linux, so this check (ctest: test_no_narrow_path_strings) keeps regressions
# out. Use instead:
#   core/io/utf8_path.h, core/engine/utf8_path.h: path_to_utf8(p), path_from_utf8(s)
#   Qt: io::path_from_utf8(s.toStdString()), QString::fromStdString(io::path_to_utf8(p)),
#       or QString::fromStdU16String(p.u16string())
#   images: io::read_image / decode_image (bytes + cv::imdecode), io::write_png_file (cv::imencode)
# // comments are ignored. An exception goes in ALLOWED below, with its reason.
set -euo pipefail
root=$1
shift

# regex (grep -E) <TAB> what to use instead
RULES=$(cat <<'RULES_END'
\.string\(\)	path::string() is the ANSI code page on Windows: path_to_utf8(p)
\.generic_string\(\)	generic_string() is the ANSI code page on Windows: path_to_utf8(p.generic_u8string())
u8path\(	fs::u8path is deprecated in C++20: path_from_utf8(s)
::path\([^()]*toStdString\(\)	path(QString::toStdString()) reads UTF-8 as ANSI on Windows: io::path_from_utf8(s.toStdString())
::path\((std::)?string\(	path(std::string) is the ANSI code page on Windows: path_from_utf8(s)
cv::imwrite\(	cv::imwrite takes a char path: cv::imencode + a write through the path (io::write_png_file)
cv::imread\(	cv::imread takes a char path: io::read_image (bytes + cv::imdecode)
(^|[^w_])fopen\(	fopen takes a char path: std::ifstream / std::ofstream on the std::filesystem::path (or _wfopen)
RULES_END
)
# file relative to ROOT <TAB> a fixed piece of the line <TAB> why it is fine
ALLOWED=$(cat <<'ALLOWED_END'
core/autolabel/results_file.cpp	std::fopen(path.c_str()	the POSIX branch; Windows uses _wfopen on the wide path
core/io/image_transfer.cpp	std::fopen(p.c_str(), write	the POSIX branch; Windows uses _wfopen on the wide path
core/io/plain_file_write.cpp	std::fopen(path.c_str(), "wb")	the POSIX branch; Windows uses _wfopen on the wide path
core/engine/platform/memory_probe_linux.cpp	std::filesystem::path(line.substr(	a cgroup path from /proc on Linux, never a user path
ALLOWED_END
)

cd "$root"
found=0
report=""
while IFS=$'\t' read -r regex advice; do
  # grep -rn over every source, then each hit again without its // comment (a
  # "//" inside a string literal drops the rest of its line too: never a false
  # alarm, at worst a line not checked).
  hits=$(grep -rnE --include='*.cpp' --include='*.h' -- "$regex" "$@" | sort || true)
  [ -n "$hits" ] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    number=${rest%%:*}
    line=${rest#*:}
    code=$(printf '%s\n' "$line" | sed -E 's#(^|[[:space:];{}(),])//.*$#\1#')
    printf '%s\n' "$code" | grep -qE -- "$regex" || continue
    allowed=0
    while IFS=$'\t' read -r allowed_file piece _; do
      if [ "$file" = "$allowed_file" ] && [[ "$code" == *"$piece"* ]]; then allowed=1; fi
    done <<<"$ALLOWED"
    [ "$allowed" = 1 ] && continue
    found=$((found + 1))
    report+="$file:$number: $(printf '%s' "$code" | sed -E 's/^[[:space:]]+//')"$'\n'"    $advice"$'\n'
  done <<<"$hits"
done <<<"$RULES"

if [ "$found" -gt 0 ]; then
  printf '%s narrow path conversion(s) in %s (see tests/app/check_path_strings.sh):\n%s' "$found" "$*" "$report"
  exit 1
fi
echo "no narrow path conversions in $*"
