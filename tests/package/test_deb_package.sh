#!/usr/bin/env bash
# The Linux .deb, end to end (ctest label `package`): makes it with
# `cpack -G DEB` from the build folder, unpacks it into a clean root, and from
# there, with an empty environment (env -i: nothing from the build tree or the
# venv on any path, no LD_LIBRARY_PATH):
#   - runs `samlabel-cli version`, `info` and a CPU `segment` on a tiny checkpoint;
#   - checks every RPATH/RUNPATH of every ELF file is $ORIGIN-relative and stays
#     inside the package (none into the build tree, the venv or the clone);
#   - checks every NEEDED entry of every ELF file is met inside the package or by
#     a Debian package named in Depends (libcuda.so.1 excepted: the NVIDIA
#     driver's), and that every object the CLI loads comes from one or the other;
#   - starts the GUI under Xvfb on a folder of images and takes a screenshot.
# Then deletes the staging folder, the .deb and the unpacked root (about 6 GB at the peak).
# Usage: test_deb_package.sh SOURCE_DIR BUILD_DIR VERSION TORCH_TREE [VENV]
set -euo pipefail
src=$(realpath "$1") build=$(realpath "$2") version=$3 torch_tree=$(realpath "$4")
venv=${5:+$(realpath "$5")}

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb dpkg readelf ldd xvfb-run xwininfo import identify convert desktop-file-validate python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing: scripts/samlabel.sh setup installs it"
done

work=$build/package-test
rm -rf "$work"
mkdir -p "$work"
# At the peak, the .deb (2 GB) and the unpacked root (3.4 GB); CPack's staging
# folder hard-links the wheel's libraries (packaging/linux), where it can.
free_gib=$(df -P -BG "$work" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
[ "$free_gib" -ge 7 ] || fail "only ${free_gib} GiB free on the disk holding $work; packing and unpacking the .deb needs about 7 GiB"
root=$work/root
cleanup() { rm -rf "$work/cpack" "$root" "$work/home" "$work/images" "$work/checkpoint" "$work/mask.png"; }
trap cleanup EXIT
took() { echo "  ($(( SECONDS - $1 )) s)"; }

echo "== cpack -G DEB"
t=$SECONDS
(cd "$build" && cpack -G DEB -B "$work/cpack") >"$work/cpack.log" 2>&1 || { tail -40 "$work/cpack.log"; fail "cpack -G DEB failed (log: $work/cpack.log)"; }
rm -rf "$work/cpack/_CPack_Packages"  # staging (hard links), the payload and a copy of the .deb: 4 GB
debs=("$work"/cpack/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made ${#debs[@]} .deb files in $work/cpack, expected one"
deb=${debs[0]}
echo "  $(basename "$deb"): $(( $(stat -c %s "$deb") / 1048576 )) MiB"; took $t

echo "== control fields"
[ "$(dpkg-deb -f "$deb" Package)" = samlabel ] || fail "Package is '$(dpkg-deb -f "$deb" Package)', expected samlabel"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is '$(dpkg-deb -f "$deb" Version)', expected $version"
ar t "$deb" | grep -qx data.tar.zst || fail "the payload is not zstd-compressed: $(ar t "$deb" | tr '\n' ' ')"
depends=$(dpkg-deb -f "$deb" Depends)
echo "  Depends: $depends"
# Package names in Depends (alternatives included, versions and arch dropped).
declare -A in_depends=()
while read -r name; do [ -n "$name" ] && in_depends[$name]=1; done < <(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*//; s/:.*//; s/[[:space:]]//g')
for needed in libqt6widgets6 libqt6svg6 libopencv-core406 libqcustomplot2.1-qt6; do
  # The names Debian 12 gives them; another release may rename them (t64).
  [ -n "${in_depends[$needed]:-}" ] || [ -n "${in_depends[${needed}t64]:-}" ] || fail "Depends lacks $needed: $depends"
done

echo "== dpkg-deb -x into a clean root"
t=$SECONDS
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
rm -f "$deb"
echo "  $(du -sm "$root" | cut -f1) MiB unpacked"; took $t

echo "== layout"
for f in usr/bin/samlabel usr/bin/samlabel-cli usr/share/applications/samlabel.desktop \
         usr/share/icons/hicolor/256x256/apps/samlabel.png usr/share/doc/samlabel/LICENSE \
         usr/lib/samlabel/torch/lib/libtorch_cpu.so usr/share/doc/samlabel/third-party; do
  [ -e "$root/$f" ] || fail "the package has no /$f"
done
[ "$(identify -format '%m %wx%h' "$root/usr/share/icons/hicolor/256x256/apps/samlabel.png")" = "PNG 256x256" ] ||
  fail "the hicolor icon is not a 256x256 PNG"
desktop-file-validate "$root/usr/share/applications/samlabel.desktop" || fail "samlabel.desktop does not validate"
grep -qx 'Exec=samlabel %f' "$root/usr/share/applications/samlabel.desktop" || fail "samlabel.desktop does not start samlabel"
grep -qx 'Icon=samlabel' "$root/usr/share/applications/samlabel.desktop" || fail "samlabel.desktop does not name the samlabel icon"
# torch's Python extension and its helpers have no business in a C++ application.
for py_only in libtorch_python.so libshm.so libtorch_global_deps.so; do
  [ ! -e "$root/usr/lib/samlabel/torch/lib/$py_only" ] || fail "the package ships torch's Python-only $py_only"
done

elf_files=()
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] && elf_files+=("$f")
done < <(find "$root" -type f -print0)
echo "  ${#elf_files[@]} ELF files"

echo "== RPATH / RUNPATH"
forbidden=("$build" "$src" "$torch_tree")
[ -n "$venv" ] && forbidden+=("$venv")
for f in "${elf_files[@]}"; do
  paths=$(readelf -d "$f" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\2/p' | tr ':' '\n')
  [ -z "$paths" ] && continue
  while IFS= read -r entry; do
    [ -z "$entry" ] && continue
    for bad in "${forbidden[@]}"; do
      [[ $entry != *"$bad"* ]] || fail "${f#$root} has an RPATH/RUNPATH into $bad: $entry"
    done
    [[ $entry == '$ORIGIN'* || $entry == '${ORIGIN}'* ]] || fail "${f#$root} has an absolute RPATH/RUNPATH entry: $entry"
    rel=${entry#\$\{ORIGIN\}}
    rel=${rel#\$ORIGIN}
    dir=$(realpath -m "$(dirname "$f")/$rel")
    [[ $dir == "$root"/* || $dir == "$root" ]] || fail "${f#$root}'s RPATH/RUNPATH entry $entry leads out of the package ($dir)"
  done <<<"$paths"
done
for exe in samlabel samlabel-cli; do
  readelf -d "$root/usr/bin/$exe" | grep -q 'RUNPATH.*\$ORIGIN/../lib/samlabel/torch/lib' ||
    fail "/usr/bin/$exe's RUNPATH does not lead to /usr/lib/samlabel/torch/lib"
done

# The Debian package owning each file outside the package ('' if none), found
# with one dpkg -S call per batch; dpkg knows some files by their /lib path and
# others by their /usr/lib one.
declare -A owner_of=()
lookup_owners() {
  local -a queries=()
  local -A wanted_by=()
  local p c line pkg
  for p; do
    [ -n "${owner_of[$p]+set}" ] && continue
    owner_of[$p]=""
    for c in "$p" "$(realpath "$p")" "/usr${p#/usr}" "${p#/usr}"; do
      queries+=("$c")
      wanted_by[$c]+="$p "
    done
  done
  [ ${#queries[@]} -eq 0 ] && return 0
  while IFS= read -r line; do
    [[ $line == diversion* ]] && continue
    pkg=${line%%:*}
    for p in ${wanted_by[${line#*: }]:-}; do owner_of[$p]=${pkg%%,*}; done
  done < <(dpkg -S "${queries[@]}" 2>/dev/null || true)
}

echo "== NEEDED entries"
t=$SECONDS
# file<TAB>soname<TAB>where ldd (the loader) finds it, for every NEEDED entry.
needs=()
for f in "${elf_files[@]}"; do
  needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  [ -z "$needed" ] && continue
  resolved=$(env -i ldd "$f" 2>&1) || fail "ldd ${f#$root} failed: $resolved"
  while IFS= read -r soname; do
    path=$(awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 } $1 ~ "/" s "$" { print $1 }' <<<"$resolved" | head -1)
    needs+=("$f"$'\t'"$soname"$'\t'"$path")
  done <<<"$needed"
done
outside=()
for n in "${needs[@]}"; do
  path=${n##*$'\t'}
  [[ $path == /* && $path != "$root"/* ]] && outside+=("$path")
done
lookup_owners "${outside[@]}"
for n in "${needs[@]}"; do
  IFS=$'\t' read -r f soname path <<<"$n"
  if [ -z "$path" ] || [ "$path" = not ]; then
    # The NVIDIA driver's library: libtorch opens it only where a GPU is.
    [ "$soname" = libcuda.so.1 ] && [[ ${f#$root} != /usr/bin/* ]] && continue
    fail "${f#$root} needs $soname, which is neither in the package nor on the system"
  fi
  [[ $path == "$root"/* ]] && continue
  pkg=${owner_of[$path]}
  [ -n "$pkg" ] || fail "${f#$root} needs $soname, found at $path, which no Debian package owns (is it missing from the package?)"
  [ -n "${in_depends[$pkg]:-}" ] || fail "${f#$root} needs $soname from Debian package $pkg, which Depends does not name: $depends"
done
echo "  ${#needs[@]} NEEDED entries met"; took $t

run_env=(env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8)
mkdir -p "$work/home" "$work/images" "$work/checkpoint"
cli=$root/usr/bin/samlabel-cli

echo "== samlabel-cli version"
out=$("${run_env[@]}" "$cli" version 2>&1) || fail "samlabel-cli version failed: $out"
echo "$out" | sed 's/^/  /'
[[ $out == "samlabel-cli $version"$'\n'* ]] || fail "samlabel-cli version does not say $version"
grep -q '^libtorch [0-9]' <<<"$out" || fail "samlabel-cli version names no libtorch"

echo "== samlabel-cli info"
for f in config.json model.safetensors processor_config.json; do cp "$src/tests/data/sam3/tiny224/$f" "$work/checkpoint/"; done
tensors=$(python3 -c 'import json, struct, sys
f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]
print(sum(1 for k in json.loads(f.read(n)) if k != "__metadata__"))' "$work/checkpoint/model.safetensors")
out=$("${run_env[@]}" "$cli" info "$work/checkpoint" 2>&1) || fail "samlabel-cli info failed: $out"
grep -qx "checkpoint $work/checkpoint" <<<"$out" || fail "samlabel-cli info does not name the checkpoint: $out"
grep -qE "^  all tensors +$tensors " <<<"$out" || fail "samlabel-cli info does not count the header's $tensors tensors: $out"

echo "== samlabel-cli segment (CPU), and where every loaded object came from"
cp "$src/tests/data/sam3/tiny224/blobs_200x150.png" "$work/images/"
out=$("${run_env[@]}" LD_DEBUG=files LD_DEBUG_OUTPUT="$work/ld" "$cli" segment "$work/checkpoint" "$work/images/blobs_200x150.png" \
      --point 100,75 --device cpu --dtype fp32 --out "$work/mask.png" 2>&1) || fail "samlabel-cli segment failed: $out"
[ "$(identify -format '%wx%h' "$work/mask.png")" = 200x150 ] || fail "segment wrote no 200x150 mask"
# Every object the loader initialised, dlopen()ed ones included, its path made plain.
mapfile -t loaded < <(sed -n 's/.*calling init: \(.*\)$/\1/p' "$work"/ld.* | xargs -r realpath -ms | sort -u)
rm -f "$work"/ld.*
printf '%s\n' "${loaded[@]}" | grep -qx "$root/usr/lib/samlabel/torch/lib/libtorch_cpu.so" ||
  fail "segment did not load the package's libtorch_cpu.so: ${loaded[*]}"
outside=()
for p in "${loaded[@]}"; do [[ $p == "$root"/* ]] || outside+=("$p"); done
lookup_owners "${outside[@]}"
for p in "${outside[@]}"; do
  [ -n "${owner_of[$p]}" ] || fail "samlabel-cli loaded $p, from neither the package nor a Debian package"
done
echo "  $(( ${#loaded[@]} - ${#outside[@]} )) objects from the package, ${#outside[@]} from Debian packages"

echo "== the GUI under Xvfb"
shot=$work/samlabel-gui.png
"${run_env[@]}" xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  "$1" "$2" >"$3" 2>&1 &
  gui=$!
  for _ in $(seq 120); do
    xwininfo -root -tree | grep -qE "\"images - blobs_200x150\\.png +- samlabel\"" && break
    kill -0 $gui 2>/dev/null || exit 3
    sleep 0.5
  done
  sleep 3  # let it paint
  xwininfo -root -tree >"$4"
  import -window root "$5"
  kill -0 $gui 2>/dev/null || exit 3
  kill $gui; wait $gui || true
' gui "$root/usr/bin/samlabel" "$work/images" "$work/gui.log" "$work/windows.txt" "$shot" ||
  fail "the GUI exited early: $(tail -20 "$work/gui.log")"
# The main window's title names the folder and the image it opened.
window=$(grep -E '"images - blobs_200x150\.png +- samlabel"' "$work/windows.txt" | head -1) ||
  fail "no window titled 'images - blobs_200x150.png - samlabel' appeared: $(tail -20 "$work/gui.log")"
echo "  window: $window"
geometry=$(sed -n 's/.*  \([0-9]*\)x\([0-9]*\)+.*/\1 \2/p' <<<"$window")
w=${geometry% *} h=${geometry#* }
[ "${w:-0}" -ge 400 ] && [ "${h:-0}" -ge 300 ] || fail "the window is ${w}x${h}, too small to be samlabel's"
colours=$(convert "$shot" -format %k info:)
echo "  screenshot $shot: $(identify -format '%wx%h' "$shot"), $colours colours"
[ "$colours" -ge 64 ] || fail "the screenshot has $colours colours: the window shows nothing (an empty Xvfb screen has 1)"
echo "PASS"
