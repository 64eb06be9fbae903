#!/usr/bin/env bash
# The bash completion for ckptfs, driven as bash drives it: COMP_LINE and
# COMP_POINT set, the function called, COMPREPLY read (sorted here: bash
# sorts what it shows). Readline replaces
# only the text after the last = or : of the word, so that is what the
# candidates must hold.
#
#   bash_completion.sh COMPLETION_FILE
set -euo pipefail
comp=$(realpath "${1:?COMPLETION_FILE}")
work=$(mktemp -d "${TMPDIR:-/tmp}/ckptfs-completion.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/ckpt dir" "$work/cache" "$work/mnt"
touch "$work/example.tar.zst"
cd "$work"

failed=0
check() {
  local line=$1 want=$2 got
  got=$(bash -c 'source "$1"; complete -p ckptfs >/dev/null
    COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _ckptfs; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$line" |
    LC_ALL=C sort | tr '\n' '|')
  if [ "$got" != "$want" ]; then
    echo "FAIL: '$line' completes to '$got', want '$want'" >&2
    failed=$((failed + 1))
  fi
}
check "ckptfs -" "--|--help|--version|-V|-d|-f|-h|-o|-s|"
check "ckptfs --v" "--version|"
check "ckptfs -o no" "noatime|nocache|"
check "ckptfs -o ca" "cache=|cache_max=|"
check "ckptfs -o nocache,allow_o" "nocache,allow_other|"
check "ckptfs -o cache=" "cache/|ckpt dir/|mnt/|"      # after "=": the directory only
check "ckptfs -o cache=ca" "cache/|"
check "ckptfs -o ro,cache=m" "mnt/|"
check "ckptfs -o log=ex" "example.tar.zst|"                # after "log=": a file
check "ckptfs -o nocache,log=c" "cache/|ckpt dir/|"
check "ckptfs ex" "example.tar.zst|"
check "ckptfs -f example.tar.zst m" "mnt|"
check "ckptfs example.tar.zst ckpt" "ckpt dir|"
check "ckptfs -o nocache example.tar.zst mnt" "mnt|"
if [ "$failed" -gt 0 ]; then
  echo "bash_completion: $failed of 14 cases failed" >&2
  exit 1
fi
echo "bash_completion: PASS: 14 cases"
