#!/bin/sh
# Re-copies the bundled icons from Debian's breeze-icon-theme package
# (apt-get install breeze-icon-theme). The list is the one in README.md.
set -eu
src=/usr/share/icons/breeze/actions/22
here=$(cd "$(dirname "$0")" && pwd)
for name in edit-select draw-polygon draw-rectangle draw-brush draw-eraser edit-select-lasso tools-wizard edit-undo edit-redo; do
  cp "$(readlink -f "$src/$name.svg")" "$here/$name.svg"
done
cp /usr/share/common-licenses/LGPL-3 "$here/COPYING.LIB"
cp /usr/share/common-licenses/GPL-3 "$here/COPYING"
