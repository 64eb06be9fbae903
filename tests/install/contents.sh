#!/usr/bin/env bash
# The .deb holds what `cmake --install --strip` lays down, byte for byte
# (under /usr), and its Depends names fuse3 and the package of every shared
# library the binary names (NEEDED; looked up on this machine with dpkg -S,
# apart from dpkg-shlibdeps).
#
#   contents.sh DEB BUILD_DIR
set -euo pipefail
export LC_ALL=C
deb=$(realpath "${1:?DEB}")
build=$(realpath "${2:?BUILD_DIR}")
fail() {
  echo "package_contents: FAIL: $*" >&2
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/ckptfs-contents.XXXXXX")
trap 'rm -rf "$work"' EXIT

dpkg-deb -x "$deb" "$work/deb"
cmake --install "$build" --prefix "$work/prefix" --strip >/dev/null
list() { (cd "$1" && find . ! -type d | sort); }
diff <(list "$work/deb/usr") <(list "$work/prefix") >"$work/diff" ||
  fail "the .deb and cmake --install differ (< .deb, > install):
$(cat "$work/diff")"
n=0
while read -r f; do
  cmp -s "$work/deb/usr/$f" "$work/prefix/$f" || fail "$f differs between the .deb and cmake --install"
  n=$((n + 1))
done < <(list "$work/prefix")
[ "$(list "$work/deb" | grep -vc '^\./usr/')" = 0 ] || fail "the .deb has files outside /usr"

depends=$(dpkg-deb -f "$deb" Depends)
names=$(tr ',' '\n' <<<"$depends" | awk '{ print $1 }')
grep -qx fuse3 <<<"$names" || fail "Depends has no fuse3: $depends"
libs=0
while read -r soname path; do
  pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")" 2>/dev/null ||
    dpkg -S "/usr$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null) ||
    fail "no package on this machine has $path ($soname)"
  pkg=${pkg%%:*}
  grep -qx "$pkg" <<<"$names" || fail "$soname comes from $pkg, which Depends lacks: $depends"
  libs=$((libs + 1))
done < <(
  # The libraries ckptfs itself names (NEEDED), where ld.so finds them.
  ldd "$work/deb/usr/bin/ckptfs" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
    grep -F -f <(readelf -d "$work/deb/usr/bin/ckptfs" | sed -n 's/.*Shared library: \[\(.*\)\]$/\1 /p')
)
[ "$libs" -gt 3 ] || fail "ldd found only $libs libraries"
echo "package_contents: PASS: $n files as cmake --install lays them; Depends ($depends) covers the $libs libraries ckptfs names"
