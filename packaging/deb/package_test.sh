#!/usr/bin/env bash
# The packaging test (ctest: package_install_tests): checks what a user
# would get from the .deb files of dala and dala-server:
#   - the control fields: names, Depends from dpkg-shlibdeps, conffiles;
#   - both installed side by side into a scratch root with dpkg-deb -x, and
#     the installed programs' --help run from there (they find Debian's
#     shared libraries as an installed program does: no LD_LIBRARY_PATH);
#   - the man pages render without a groff warning and document every
#     command --help lists;
#   - lintian reports no error on either package;
#   - the systemd unit passes `systemd-analyze verify` and its sandbox
#     scores as "OK" on `systemd-analyze security --offline`.
# A container has no running systemd, so nothing can start the unit here:
# both analyses read the unit file from the scratch root (--root), where
# its ExecStart binary exists. verify also loads every target the unit
# reaches through its default dependencies (sysinit.target...), so the
# host's targets are copied in, and runs `man` on its Documentation=, so
# MANPATH points at the root's pages. verify exits 0 on a value it cannot
# parse (it only warns), hence the test that it says nothing.
#
#   packaging/deb/package_test.sh --from-build BUILD_DIR
#       packages the programs BUILD_DIR already built (configured with
#       -DDALA_PACKAGE_DEB=ON; scripts/build test does): what CI runs. The
#       sanitised test build's programs are not what users install, but
#       every file, script and rule of the packaging is the same, and
#       compiling Dala once more only to package it took CI a quarter of
#       an hour on two cores;
#   packaging/deb/package_test.sh BUILD_DIR
#       builds the packages the way scripts/package does, unoptimised
#       (DEB_BUILD_OPTIONS=noopt), in BUILD_DIR/package;
#   packaging/deb/package_test.sh BUILD_DIR DEB_DIR
#       checks the packages found in DEB_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath -m -- "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package_test: $*" >&2; exit 1; }

if [ "$1" = --from-build ]; then
  build=$(realpath -m -- "$2")
  debs=$work/out
  start=$(date +%s)
  (cd "$build" && cpack -G DEB -B "$work/cpack" >/dev/null) || fail "cpack failed in $build"
  mkdir -p "$debs" && cp "$work"/cpack/*.deb "$debs"/
  echo "package_test: packaged the programs of $build in $(( $(date +%s) - start ))s"
elif [ $# -ge 2 ]; then
  debs=$2
else
  debs=$work/out
  start=$(date +%s)
  DEB_BUILD_OPTIONS=noopt DALA_PACKAGE_BUILD="$build" DALA_PACKAGE_OUT="$debs" scripts/package deb >/dev/null
  echo "package_test: built the packages in $(( $(date +%s) - start ))s"
fi
client=$(ls "$debs"/dala_*.deb)
server=$(ls "$debs"/dala-server_*.deb)

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$client" Package)" = dala ] || fail "$client is not the dala package"
[ "$(field "$server" Package)" = dala-server ] || fail "$server is not the dala-server package"
# libssl3: SHA-256 is libcrypto's (sync/CMakeLists.txt).
for lib in libsodium23 libsqlite3-0 libedit2 libssl3; do
  field "$client" Depends | grep -q "$lib" || fail "dala does not depend on $lib: $(field "$client" Depends)"
done
for lib in libsodium23 libsqlite3-0 libssl3 adduser; do
  field "$server" Depends | grep -q "$lib" || fail "dala-server does not depend on $lib: $(field "$server" Depends)"
done
dpkg-deb --ctrl-tarfile "$server" | tar -xO ./conffiles | grep -qx /etc/dala/dala-server.conf ||
  fail "/etc/dala/dala-server.conf is not a conffile"

root=$work/root
dpkg-deb -x "$client" "$root"
dpkg-deb -x "$server" "$root"
for f in usr/bin/dala usr/bin/dala-server usr/share/man/man1/dala.1.gz usr/share/man/man8/dala-server.8.gz \
         lib/systemd/system/dala-server.service etc/dala/dala-server.conf \
         usr/share/doc/dala/copyright usr/share/doc/dala-server/README.Debian; do
  [ -e "$root/$f" ] || fail "/$f is not in the packages"
done
# jemalloc is linked where it is on (not with the sanitizers, as in the
# test build): the Depends must then name it.
for pair in "dala-server:$server" "dala:$client"; do
  prog=${pair%%:*} deb=${pair#*:}
  if objdump -p "$root/usr/bin/$prog" | grep -q 'NEEDED.*libjemalloc'; then
    field "$deb" Depends | grep -q libjemalloc2 ||
      fail "$prog links jemalloc but does not depend on libjemalloc2: $(field "$deb" Depends)"
  fi
done

# --help of the installed programs, and their man pages against it.
for prog in dala dala-server; do
  help=$(env -i PATH=/usr/bin:/bin HOME="$work" "$root/usr/bin/$prog" --help) || fail "$prog --help failed"
  case "$help" in "$prog — "*) ;; *) fail "$prog --help says: $help" ;; esac
  page=$(ls "$root"/usr/share/man/man*/"$prog".*.gz)
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$warnings" ] || fail "man $prog: $warnings"
  rendered=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null)
  for sub in $(printf '%s\n' "$help" | sed -n '/^Subcommands:/,$s/^  \([a-z-]*\) .*/\1/p'); do
    grep -q "^   $prog $sub\$" <<<"$rendered" || fail "man $prog has no section for '$prog $sub'"
  done
done

# lintian: no error. Its warnings are printed for the log.
for deb in "$client" "$server"; do
  lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian found errors in $deb"
done

# The unit, offline.
cp /lib/systemd/system/*.target "$root/lib/systemd/system/"
verify=$(MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" dala-server.service 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"
security=$(systemd-analyze security --offline=true --root="$root" --threshold=25 dala-server.service 2>&1) ||
  fail "the unit's sandbox is weaker than expected: $security"
echo "package_test: $(grep -o 'Overall exposure level.*' <<<"$security")"
echo "package_test: ok"
