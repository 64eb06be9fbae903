#!/usr/bin/env bash
# Installs the .deb into a clean Debian 12 (bookworm) minbase root, uses it
# there as a user would, purges it, and checks that nothing is left behind.
#
#   install_in_bookworm.sh DEB EXAMPLE_ARCHIVE GROUNDTRUTH_JSON
#
# The root is debootstrap'ed once from the machine's configured Debian
# mirror and kept as a tarball in $CKPTFS_ROOTFS_CACHE (default
# /var/cache/ckptfs-test), so later runs only unpack it. apt in the root
# installs the package with its dependencies (fuse3 and the libraries come
# from the mirror: the Depends line is what is tested). Needs root,
# debootstrap (installed here if missing), the network to the mirror, and
# /dev/fuse.
set -euo pipefail
export LC_ALL=C

deb=$(realpath "${1:?DEB}")
example=$(realpath "${2:?EXAMPLE_ARCHIVE}")
groundtruth=$(realpath "${3:?GROUNDTRUTH_JSON}")
say() { echo "install_in_bookworm: $*" >&2; }
fail() {
  say "FAIL: $*"
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount)"
[ -c /dev/fuse ] || fail "/dev/fuse is missing: cannot test mounting"
for f in "$deb" "$example" "$groundtruth"; do [ -f "$f" ] || fail "$f: missing"; done
for tool in jq zstd; do command -v $tool >/dev/null || fail "$tool is not installed (scripts/setup)"; done
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
fi

version=$(dpkg-deb -f "$deb" Version)
heap_addr=$(jq -r '.processes[0].markers[] | select(.marker == "CKPTFS_HEAP_MARKER") | .addr' "$groundtruth")
[ -n "$heap_addr" ] || fail "$groundtruth: no CKPTFS_HEAP_MARKER"

# --- the machine's Debian mirror -------------------------------------------
# "URI SUITE" for each bookworm* suite in /etc/apt/sources.list{,.d/*}, both
# the one-line and the deb822 format.
debian_sources() {
  {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed 's/\[[^]]*\]//' | awk '$1 == "deb" { print $2, $3 }'
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk 'function flush() { if (types ~ /(^| )deb( |$)/) for (i in u) for (j in s) print u[i], s[j];
                             types = ""; delete u; delete s }
           /^[[:space:]]*$/ { flush(); next }
           tolower($1) == "types:" { types = $0 }
           tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[i] = $i }
           tolower($1) == "suites:" { for (i = 2; i <= NF; i++) s[i] = $i }
           END { flush() }' "$f"
    done
  } | awk '$2 ~ /^bookworm(-updates|-security|\/updates)?$/' | sort -u
}
sources=$(debian_sources)
mirror=$(awk '$2 == "bookworm" { print $1; exit }' <<<"$sources")
[ -n "$mirror" ] || fail "no Debian bookworm mirror in /etc/apt/sources.list*"
say "mirror $mirror"

# --- the cached minbase root -------------------------------------------------
cache_dir=${CKPTFS_ROOTFS_CACHE:-/var/cache/ckptfs-test}
# man-db (with groff) is the test's, not a dependency: `man ckptfs` must work.
root_tar=$cache_dir/bookworm-minbase-man-db-$(printf %s "$mirror" | sha256sum | cut -c1-12).tar.zst
mkdir -p "$cache_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/ckptfs-deb-test.XXXXXX")
root=$work/root
mounted=()
cleanup() {
  local m
  # A daemon left by a failed step would keep the root busy.
  for m in "$root/tmp/mnt" "$root/tmp/mnt2"; do
    if mountpoint -q "$m" 2>/dev/null; then fusermount3 -u "$m" 2>/dev/null || umount -l "$m" || true; fi
  done
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

(
  flock 9
  if [ ! -f "$root_tar" ]; then
    say "debootstrap --variant=minbase bookworm (once; cached in $root_tar)"
    t0=$(date +%s)
    boot=$work/boot
    debootstrap --variant=minbase --include=man-db bookworm "$boot" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      {
        tail -n 30 "$work/debootstrap.log" >&2
        fail "debootstrap failed"
      }
    chroot "$boot" apt-get clean
    rm -f "$boot"/var/lib/apt/lists/*_* "$boot"/var/log/bootstrap.log
    tar -C "$boot" --numeric-owner --xattrs -cf - . | zstd -q -T0 -o "$root_tar.tmp"
    mv "$root_tar.tmp" "$root_tar"
    rm -rf --one-file-system "$boot"
    say "debootstrap took $(($(date +%s) - t0)) s"
  fi
) 9>"$cache_dir/.lock"

t0=$(date +%s)
mkdir "$root"
zstd -q -dc "$root_tar" | tar -C "$root" --numeric-owner --xattrs -xpf -
# The same Debian suites as this machine (security updates included), the
# network's name servers, and what a mount needs: /proc and /dev/fuse.
awk '{ print "deb", $1, $2, "main" }' <<<"$sources" >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
# apt logs through a pseudo-terminal.
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" && mounted+=("$root/dev/pts")
[ -e "$root/dev/fuse" ] || mknod -m 666 "$root/dev/fuse" c 10 229
mount --bind /dev/fuse "$root/dev/fuse" && mounted+=("$root/dev/fuse")

in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
in_root apt-get update -qq >&2 || fail "apt-get update in the root"

# Every path of the root but the mounted /proc and the test's own /tmp files.
file_list() {
  (cd "$root" && find . -xdev \( -path ./proc -o -path ./dev/pts -o -path ./tmp \) -prune -o -print | sort)
}
file_list >"$work/before"

# --- install -----------------------------------------------------------------
cp "$deb" "$root/tmp/"
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >&2 ||
  fail "apt-get install of the package"
in_root dpkg-query -W -f='${Status}\n' fuse3 | grep -q "install ok installed" ||
  fail "fuse3 was not installed with the package"

# --- use it --------------------------------------------------------------------
got=$(in_root ckptfs --version) || fail "ckptfs --version failed"
[ "$got" = "ckptfs $version" ] || fail "ckptfs --version printed '$got', not 'ckptfs $version'"

for page in ckptfs checkpointctl-mount checkpointctl-umount ckptfs-search; do
  text=$(in_root env MANPAGER=cat MANWIDTH=80 man "$page" 2>&1) || fail "man $page: $text"
  name=$(awk '/^NAME/ { f = 1; next } /^[A-Z]/ { f = 0 } f' <<<"$text" | tr -s ' \n' '  ' | sed 's/^ //')
  [[ $name == "$page - "* ]] || fail "man $page: NAME is '$name'"
done

cp "$example" "$root/tmp/example.tar.zst"
mkdir "$root/tmp/mnt" "$root/tmp/mnt2"
in_root ckptfs -o cache=/tmp/cache /tmp/example.tar.zst /tmp/mnt || fail "ckptfs could not mount the example"
in_root grep -q ckpt_workload /tmp/mnt/ps || fail "ps of the mounted example has no ckpt_workload"
# ckptfs-search runs on perl-base alone (minbase has nothing more).
line=$(in_root ckptfs-search -c 0 -s CKPTFS_HEAP_MARKER /tmp/mnt/procs/1 | head -n 1) ||
  fail "ckptfs-search failed"
[ "$line" = "$heap_addr CKPTFS_HEAP_MARKER CKPTFS_HEAP_MARKER" ] ||
  fail "ckptfs-search printed '$line', the ground truth has the marker at $heap_addr"
in_root fusermount3 -u /tmp/mnt || fail "fusermount3 -u"

# The plugins as checkpointctl runs them: by absolute path, arguments as given.
desc=$(in_root /usr/bin/checkpointctl-mount --plugin-description) && fail "--plugin-description exited 0"
[ -n "$desc" ] || fail "checkpointctl-mount --plugin-description printed nothing"
in_root /usr/bin/checkpointctl-mount /tmp/example.tar.zst /tmp/mnt2 -o cache=/tmp/cache ||
  fail "checkpointctl-mount"
in_root grep -q ckpt_workload /tmp/mnt2/ps || fail "the plugin's mount has no ps"
in_root /usr/bin/checkpointctl-umount /tmp/mnt2 || fail "checkpointctl-umount"
if mountpoint -q "$root/tmp/mnt2"; then fail "still mounted after checkpointctl-umount"; fi

# The bash completion loads and completes an option.
in_root bash -c 'source /usr/share/bash-completion/completions/ckptfs
  COMP_LINE="ckptfs --ver"; COMP_POINT=${#COMP_LINE}; _ckptfs; [ "${COMPREPLY[*]}" = --version ]' ||
  fail "bash completion of --ver"

# The daemons exit once unmounted; none may hold the root.
for _ in $(seq 100); do
  busy=$(for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"; done || true)
  [ -z "$busy" ] && break
  sleep 0.1
done
[ -z "$busy" ] || fail "processes still running in the root: $busy"

# --- purge: nothing may be left behind ----------------------------------------
in_root apt-get purge -y -qq ckptfs >&2 || fail "apt-get purge ckptfs"
in_root apt-get autoremove --purge -y -qq >&2 || fail "apt-get autoremove --purge"
in_root apt-get clean
in_root apt-get update -qq >&2 # the package lists apt-get clean dropped
file_list >"$work/after"
# Not the package's: apt's and dpkg's own journals, caches and state, which
# change with any install; man-db's cache, where `man` above saved formatted
# pages (its daily job deletes those unread for a week); and the lock file
# /etc/mtab.fuselock, which fusermount3 (fuse3, purged too) creates on the
# system's first FUSE mount and never removes. Every other path must be as
# before.
bookkeeping='^\./(var/(log/(apt/|dpkg\.log|alternatives\.log)|cache/(apt|debconf|ldconfig|man)/|lib/apt/extended_states$|lib/dpkg/[^/]*-old$)|etc/mtab\.fuselock$)'
diff <(grep -Ev "$bookkeeping" "$work/before") <(grep -Ev "$bookkeeping" "$work/after") >"$work/diff" ||
  {
    cat "$work/diff" >&2
    fail "the root differs after purge (< before install, > after purge)"
  }
n=$(wc -l <"$work/before")
say "PASS: ckptfs $version installed with its dependencies, used, purged; $n paths as before ($(($(date +%s) - t0)) s with the cached root)"
