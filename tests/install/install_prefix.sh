#!/usr/bin/env bash
# `cmake --install BUILD --prefix P`: exactly the files a user gets from the
# .deb (under P instead of /usr), and they work from there: the plugins run
# the ckptfs installed beside them, the man pages render without warnings
# and are gzip'ed without name or time stamp, the completion completes.
#
#   install_prefix.sh BUILD_DIR EXAMPLE_ARCHIVE
set -euo pipefail
export LC_ALL=C.UTF-8
build=$(realpath "${1:?BUILD_DIR}")
example=$(realpath "${2:?EXAMPLE_ARCHIVE}")
fail() {
  echo "install_prefix: FAIL: $*" >&2
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/ckptfs-install.XXXXXX")
P=$work/prefix
mnt=$work/mnt
cleanup() {
  if mountpoint -q "$mnt" 2>/dev/null; then fusermount3 -u "$mnt" || umount -l "$mnt"; fi
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$P" >/dev/null
expected="bin/checkpointctl-mount
bin/checkpointctl-umount
bin/ckptfs
bin/ckptfs-search
share/bash-completion/completions/ckptfs
share/doc/ckptfs/changelog.gz
share/doc/ckptfs/copyright
share/man/man1/checkpointctl-mount.1.gz
share/man/man1/checkpointctl-umount.1.gz
share/man/man1/ckptfs-search.1.gz
share/man/man1/ckptfs.1.gz"
got=$(cd "$P" && find . ! -type d | sed 's|^\./||' | sort)
[ "$got" = "$expected" ] || fail "installed files differ from the expected list:
$(diff <(echo "$expected") <(echo "$got"))"
for f in "$P"/bin/*; do [ -x "$f" ] || fail "$f is not executable"; done

for gz in "$P"/share/man/man1/*.gz "$P"/share/doc/ckptfs/changelog.gz; do
  gzip -t "$gz" || fail "$gz: not valid gzip"
  # RFC 1952 header: FLG (byte 3) without FNAME, MTIME (bytes 4-7) zero.
  read -r flg m0 m1 m2 m3 < <(od -An -tu1 -j3 -N5 "$gz")
  [ $((flg & 8)) = 0 ] && [ "$m0$m1$m2$m3" = 0000 ] || fail "$gz: has a name or time stamp (gzip -n)"
done
for page in "$P"/share/man/man1/*.gz; do
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page failed: $warnings"
  [ -z "$warnings" ] || fail "man -l $page: $warnings"
done
head -n 1 "$P/share/doc/ckptfs/copyright" |
  grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
  fail "copyright is not in the machine-readable (DEP-5) format"

# The installed plugin runs the installed ckptfs (PATH has none).
mkdir "$mnt"
env PATH=/usr/bin:/bin "$P/bin/checkpointctl-mount" "$example" "$mnt" -o nocache ||
  fail "the installed checkpointctl-mount could not mount $example"
daemon=$(pgrep -f "^$P/bin/ckptfs " || true)
[ -n "$daemon" ] || fail "no daemon runs $P/bin/ckptfs"
grep -q ckpt_workload "$mnt/ps" || fail "$mnt/ps has no ckpt_workload"
out=$("$P/bin/ckptfs-search" -c 0 -s CKPTFS_HEAP_MARKER "$mnt/procs/1") ||
  fail "the installed ckptfs-search found nothing"
grep -Eq '^0x[0-9a-f]{12} CKPTFS_HEAP_MARKER CKPTFS_HEAP_MARKER$' <<<"$out" || fail "ckptfs-search printed: $out"
"$P/bin/checkpointctl-umount" "$mnt" || fail "checkpointctl-umount"
if mountpoint -q "$mnt"; then fail "still mounted after checkpointctl-umount"; fi

# The completion, as bash runs it for `ckptfs -o noc<TAB>`.
got=$(bash -c 'source "$1"; COMP_LINE="ckptfs -o noc"; COMP_POINT=${#COMP_LINE}; _ckptfs; echo "${COMPREPLY[*]}"' \
  _ "$P/share/bash-completion/completions/ckptfs")
[ "$got" = nocache ] || fail "completion of 'ckptfs -o noc' gave '$got'"
echo "install_prefix: PASS: $(echo "$expected" | wc -l) files installed under the prefix, all working"
