#!/usr/bin/env bash
# dala.exe (under Wine) enrols and syncs over HTTPS with the private CA that
# `dala-server tls init` makes, as the README tells a volunteer to; and a
# server whose certificate another CA signed is refused before the request's
# body (the enrolment code) leaves the laptop.
#
#   tests/windows/https_sync.sh DALA_EXE LINUX_DALA_SERVER LINUX_DALA
#
# Everything runs on 127.0.0.1 on ports the system picks, in a temporary
# directory removed at the end. Needs wine, winepath and python3 (the
# impostor server that records what reaches it).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 DALA_EXE LINUX_DALA_SERVER LINUX_DALA" >&2
  exit 2
fi
dala_exe=$(realpath "$1")
server=$(realpath "$2")
dala=$(realpath "$3")
forms="$(cd "$(dirname "$0")/../.." && pwd)/schema/forms"
for tool in wine winepath python3; do
  command -v "$tool" >/dev/null || { echo "https_sync: FAIL: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "https_sync: FAIL: $*" >&2
  exit 1
}
# wait_for_file FILE: a server writes its port there once it listens.
wait_for_file() {
  for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.1; done
  fail "nothing listened (no $1)"
}
winpath() { winepath -w "$1" 2>/dev/null; }
enroll_code() { "$server" enroll-code "$1" --data "$work/server" 2>/dev/null | grep -oE '[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}' | head -n1; }

export WINEDEBUG=-all
# The first start of Wine makes its prefix; do it before anything is timed.
wine "$dala_exe" --help >/dev/null 2>&1 || fail "wine cannot run $dala_exe"

"$server" init --data "$work/server" >/dev/null
"$server" user add askar --role volunteer --data "$work/server" >/dev/null
"$server" user add dina --role volunteer --data "$work/server" >/dev/null
"$server" form publish "$forms/psc_observation.json" --data "$work/server" >/dev/null
# Wine's crypt32 refuses an ECDSA signature whose r or s begins with a zero
# byte (TRUST_E_CERT_SIGNATURE, 0x80096004), about one signature in 128 that
# `dala-server tls init` makes and Windows itself verifies: three such
# certificates failed under Wine and their neighbours passed. Each
# certificate set is made again until neither of its signatures is one, so
# that a refusal below is Dala's, not Wine's.
# wine_can_verify DIR (holding ca.pem and cert.pem): exit 0 when it can, 3
# when it cannot, anything else when the certificates could not be read.
wine_can_verify() {
  python3 - "$1/ca.pem" "$1/cert.pem" <<'EOF'
import subprocess, sys
def length(b, i):  # a DER length at b[i]: (its value, where the contents start)
    n = b[i]
    if n < 0x80:
        return n, i + 1
    return int.from_bytes(b[i + 1:i + 1 + (n & 0x7F)], "big"), i + 1 + (n & 0x7F)
for path in sys.argv[1:]:
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"], capture_output=True, check=True).stdout
    _, i = length(der, 1)  # Certificate: tbsCertificate, signatureAlgorithm, signatureValue
    for _ in range(2):
        n, j = length(der, i + 1)
        i = j + n
    n, j = length(der, i + 1)
    signature = der[j + 1:j + n]  # the BIT STRING's bytes: SEQUENCE { INTEGER r, INTEGER s }
    _, k = length(signature, 1)
    for _ in range(2):
        n, m = length(signature, k + 1)
        if len(signature[m:m + n].lstrip(b"\0")) < 32:  # P-256: 32 bytes each
            sys.exit(3)
        k = m + n
EOF
}
# tls_init DIR ARGS...: `dala-server tls init ARGS`, whose files land in DIR.
tls_init() {
  local dir=$1
  shift
  for _ in $(seq 20); do
    rm -rf "$dir"
    "$server" tls init "$@" >/dev/null || fail "dala-server tls init $*"
    local verdict=0
    wine_can_verify "$dir" || verdict=$?
    [ "$verdict" = 0 ] && return 0
    [ "$verdict" = 3 ] || fail "could not read the certificates tls init made in $dir (openssl or python failed)"
  done
  fail "20 certificate sets in a row with a signature Wine cannot verify"
}

tls_init "$work/server/tls" --host 127.0.0.1 --data "$work/server"
tls_init "$work/other" --host 127.0.0.1 --out "$work/other"  # another server's CA
tls="$work/server/tls"

"$server" serve --data "$work/server" --listen 127.0.0.1:0 --port-file "$work/port" \
  --tls-cert "$tls/cert.pem" --tls-key "$tls/key.pem" >"$work/server.log" 2>&1 &
pids+=($!)
wait_for_file "$work/port"
url="https://127.0.0.1:$(cat "$work/port")"

# The Linux client first: if it cannot sync, the server is at fault, not dala.exe.
linux() { DALA_HOME="$work/linux" DALA_PASSPHRASE=dina-passphrase "$dala" --lang en "$@"; }
linux init >/dev/null
linux enroll "$url" "$(enroll_code dina)" --ca "$tls/ca.pem" >/dev/null || fail "the Linux dala cannot enrol at $url"

win_home=$(winpath "$work/laptop")
win() { DALA_HOME="$win_home" DALA_PASSPHRASE=askar-passphrase wine "$dala_exe" --lang en "$@"; }
win init >/dev/null 2>&1 || fail "dala.exe init"
code=$(enroll_code askar)
[ -n "$code" ] || fail "no enrolment code from dala-server"

# 1. No --ca: Windows' own store does not know this CA.
if out=$(win enroll "$url" "$code" 2>&1); then fail "enrolled without the CA: $out"; fi
grep -q "not signed by an authority this computer trusts" <<<"$out" || fail "without --ca: $out"

# 2. A server holding another CA's certificate: refused, and what reached it
#    holds no body (the enrolment code is in the body).
python3 - "$work/other/cert.pem" "$work/other/key.pem" "$work/impostor.port" "$work/impostor.bytes" <<'EOF' &
import socket, ssl, sys
cert, key, port_file, bytes_file = sys.argv[1:]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
open(port_file, "w").write(str(listener.getsockname()[1]))
with open(bytes_file, "ab") as out:
    while True:
        raw, _ = listener.accept()
        raw.settimeout(10)
        try:
            with context.wrap_socket(raw, server_side=True) as tls:
                while chunk := tls.recv(65536):
                    out.write(chunk)
                    out.flush()
        except (OSError, ssl.SSLError):
            pass
EOF
pids+=($!)
wait_for_file "$work/impostor.port"
impostor="https://127.0.0.1:$(cat "$work/impostor.port")"
if out=$(win enroll "$impostor" "$code" --ca "$(winpath "$tls/ca.pem")" 2>&1); then fail "enrolled at the impostor: $out"; fi
grep -q "the certificate is not signed by the CA you gave" <<<"$out" || fail "impostor: $out"
touch "$work/impostor.bytes"
if grep -q "$code" "$work/impostor.bytes"; then fail "the enrolment code reached the impostor"; fi
if [ -s "$work/impostor.bytes" ]; then
  echo "https_sync: note: the impostor received the request head ($(wc -c <"$work/impostor.bytes") bytes), no body"
else
  echo "https_sync: the impostor received nothing"
fi

# 3. The server's own certificate for another name: refused, naming it.
"$server" init --data "$work/server2" >/dev/null  # one server per data directory
tls_init "$work/elsewhere" --host dala.example.kz --out "$work/elsewhere"
"$server" serve --data "$work/server2" --listen 127.0.0.1:0 --port-file "$work/port2" \
  --tls-cert "$work/elsewhere/cert.pem" --tls-key "$work/elsewhere/key.pem" >"$work/server2.log" 2>&1 &
pids+=($!)
wait_for_file "$work/port2"
if out=$(win enroll "https://127.0.0.1:$(cat "$work/port2")" "$code" --ca "$(winpath "$work/elsewhere/ca.pem")" 2>&1); then
  fail "enrolled with a certificate for another name: $out"
fi
grep -q "the server's certificate is not for 127.0.0.1" <<<"$out" || fail "wrong name: $out"

# 4. The right CA: enrolment (the same code, which nothing above used up) and sync.
out=$(win enroll "$url" "$code" --ca "$(winpath "$tls/ca.pem")" 2>&1) || fail "dala.exe enroll with the CA: $out"
out=$(win sync 2>&1) || fail "dala.exe sync over https: $out"
grep -q "1 form" <<<"$out" || fail "dala.exe sync did not receive the form: $out"
echo "https_sync: OK: dala.exe enrolled and synced over $url with the private CA; wrong CA, no CA and wrong name refused"
