#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Provides the Rust virtiofsd of Debian 13 (trixie) on a Debian 12 host, where only QEMU's C virtiofsd exists.
# trixie's virtiofsd needs glibc >= 2.39, so it is unpacked together with trixie's libc6 and the libraries it
# links (libcap-ng0, libseccomp2, libgcc-s1) into a private folder, and started through trixie's own loader
# by a wrapper script: <cache>/virtiofsd-trixie/virtiofsd (the storage.virtiofs plugin looks there first).
#
# The system's apt configuration is not touched: the packages are fetched with a private apt configuration
# (own sources.list, lists, cache and an empty dpkg status, in a temporary folder) and unpacked with
# `dpkg-deb -x`; nothing is installed. Signatures are checked by apt against Debian's trixie keys from the
# installed debian-archive-keyring package (whose files are first checked with `dpkg --verify`).
#
# Idempotent: when the wrapper is there and answers --version, nothing is done. Options:
#   --force   fetch and unpack again even when present
# Environment: CELLA_CACHE_DIR (default /var/cache/cella), CELLA_DEBIAN_MIRROR (default http://deb.debian.org/debian)
set -euo pipefail

SUITE=trixie
CACHE_DIR=${CELLA_CACHE_DIR:-/var/cache/cella}
DEST=$CACHE_DIR/virtiofsd-$SUITE
MIRROR=${CELLA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=(virtiofsd libc6 libcap-ng0 libseccomp2 libgcc-s1)
KEYRINGS=(/usr/share/keyrings/debian-archive-$SUITE-stable.gpg /usr/share/keyrings/debian-archive-$SUITE-automatic.gpg)
LIBDIR=usr/lib/x86_64-linux-gnu
LOADER=$LIBDIR/ld-linux-x86-64.so.2
BINARY=usr/libexec/virtiofsd

say() { printf 'setup-virtiofsd: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    *) die "unknown argument: $arg (only --force is known)" ;;
  esac
done

# The wrapper answers `virtiofsd <version>`; anything else means the folder is unusable.
version_of() { "$1" --version 2>/dev/null | grep -m1 -E '^virtiofsd [0-9]+\.[0-9]+' || true; }

if [[ $force -eq 0 && -f $DEST/.complete && -x $DEST/virtiofsd ]]; then
  present=$(version_of "$DEST/virtiofsd")
  if [[ -n $present ]]; then
    say "present: $present ($DEST/virtiofsd)"
    exit 0
  fi
  say "$DEST is there but its virtiofsd does not run: fetching it again"
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (try: sudo $0)"
[[ $(dpkg --print-architecture 2>/dev/null) == amd64 ]] || die "only amd64 hosts are supported"
for tool in apt-get dpkg-deb gpgv; do
  command -v "$tool" >/dev/null || die "needs $tool (a Debian-based host)"
done
for k in "${KEYRINGS[@]}"; do
  [[ -s $k ]] || die "$k is missing: install or upgrade debian-archive-keyring (bookworm's 2023.3+deb12u1 or later has the $SUITE keys)"
done
# The keyrings are only trusted as far as the installed package's recorded checksums say they are unchanged.
if ! verify=$(dpkg --verify debian-archive-keyring 2>&1) || [[ -n $verify ]]; then
  die "debian-archive-keyring's files differ from the package (dpkg --verify: ${verify:-failed}): reinstall it"
fi
say "keys: ${KEYRINGS[*]} (debian-archive-keyring $(dpkg-query -W -f '${Version}' debian-archive-keyring), dpkg --verify clean)"

started=$(date +%s)
mkdir -p "$CACHE_DIR"
work=$(mktemp -d /tmp/cella-virtiofsd-apt.XXXXXX)
stage=$(mktemp -d "$CACHE_DIR/.virtiofsd-$SUITE.new.XXXXXX")
cleanup() { rm -rf "$work" "$stage"; }
trap cleanup EXIT
# apt's download methods run as the _apt user: it must reach the partial folders and the download folder.
chmod 0755 "$work"
mkdir -p "$work"/etc/{sources.list.d,preferences.d,trusted.gpg.d} "$work"/state/lists/partial "$work"/cache/archives/partial "$work"/log "$work"/debs
chown _apt "$work/debs" 2>/dev/null || true
: >"$work/state/status"
signed_by=$(IFS=,; echo "${KEYRINGS[*]}")
printf 'deb [signed-by=%s] %s %s main\n' "$signed_by" "$MIRROR" "$SUITE" >"$work/etc/sources.list"
# Read after the system's apt.conf(.d) (proxies there still apply); every folder apt writes or reads
# packages from is private, and the system's update/dpkg hooks are cleared so none of them runs.
cat >"$work/apt.conf" <<EOF
Dir::Etc::SourceList "$work/etc/sources.list";
Dir::Etc::SourceParts "$work/etc/sources.list.d";
Dir::Etc::Preferences "$work/etc/preferences";
Dir::Etc::PreferencesParts "$work/etc/preferences.d";
Dir::Etc::Trusted "$work/etc/trusted.gpg";
Dir::Etc::TrustedParts "$work/etc/trusted.gpg.d";
Dir::State "$work/state";
Dir::State::Lists "$work/state/lists";
Dir::State::status "$work/state/status";
Dir::State::extended_states "$work/state/extended_states";
Dir::Cache "$work/cache";
Dir::Cache::Archives "$work/cache/archives";
Dir::Log "$work/log";
#clear APT::Architectures;
APT::Architectures { "amd64"; };
Acquire::Languages "none";
#clear APT::Update::Pre-Invoke;
#clear APT::Update::Post-Invoke;
#clear APT::Update::Post-Invoke-Success;
#clear DPkg::Pre-Invoke;
#clear DPkg::Post-Invoke;
#clear DPkg::Pre-Install-Pkgs;
EOF
# apt's own progress goes to stderr with ours, so the two stay in order.
apt_private() { apt-get -c "$work/apt.conf" -q "$@" >&2; }

say "fetching the $SUITE package lists from $MIRROR (private apt configuration in $work)"
apt_private update || die "apt could not fetch or verify the $SUITE lists (see above)"
say "downloading: ${PACKAGES[*]}"
(cd "$work/debs" && apt_private download "${PACKAGES[@]}") || die "apt could not download ${PACKAGES[*]}"

say "unpacking into $DEST"
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$stage"
  dpkg-deb --show --showformat '${Package} ${Version}\n' "$deb" >>"$stage/PACKAGES"
done
[[ -x $stage/$LOADER && -x $stage/$BINARY ]] || die "the packages do not hold $LOADER and $BINARY"

# Every library virtiofsd links must come from the private folder, never from the host's glibc 2.36.
listing=$("$stage/$LOADER" --library-path "$stage/$LIBDIR" --list "$stage/$BINARY") || die "trixie's loader cannot list virtiofsd's libraries"
while read -r line; do
  [[ $line == *'=>'* ]] || continue
  target=$(awk '{print $3}' <<<"$line")
  [[ $target == "$stage"/* ]] || die "virtiofsd's library is not in the private folder: $line"
done <<<"$listing"

cat >"$stage/virtiofsd" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Made by Cella's scripts/setup-virtiofsd.sh: Debian 13's virtiofsd, run by Debian 13's own glibc loader with
# the libraries next to it (this host's glibc is too old for it). All arguments go to virtiofsd unchanged.
here=$(dirname "$(readlink -f "$0")")
exec "$here/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$here/usr/lib/x86_64-linux-gnu" \
  --argv0 virtiofsd "$here/usr/libexec/virtiofsd" "$@"
EOF
chmod 0755 "$stage/virtiofsd" "$stage"
staged=$(version_of "$stage/virtiofsd")
[[ -n $staged ]] || die "the unpacked virtiofsd does not answer --version: $("$stage/virtiofsd" --version 2>&1 | head -3)"
touch "$stage/.complete"

# Swap the finished folder in; a running virtiofsd keeps its already opened files.
if [[ -e $DEST ]]; then
  old=$(mktemp -d "$CACHE_DIR/.virtiofsd-$SUITE.old.XXXXXX")
  mv "$DEST" "$old/"
  mv -T "$stage" "$DEST"
  rm -rf "$old"
else
  mv -T "$stage" "$DEST"
fi
say "installed: $(version_of "$DEST/virtiofsd") ($DEST/virtiofsd) from: $(paste -sd, "$DEST/PACKAGES" | sed 's/,/, /g') in $(( $(date +%s) - started )) s"
