#!/usr/bin/env bash
# The Windows client end to end, under Wine, against a real Linux server:
#
#   tests/windows/e2e.sh DALA_EXE DALA_SERVER DALA
#
# DALA_EXE is the Windows dala.exe (the one the installer put in place);
# DALA_SERVER and DALA are the Linux programs. On 127.0.0.1, a port the
# kernel picks. The laptop's profile lives under a Kazakh folder name, and a
# record with Kazakh and Russian text goes to the server and must arrive
# byte for byte; the auditor then verifies the server's bundle with the
# receipts the Windows laptop exported.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 DALA_EXE DALA_SERVER DALA" >&2; exit 2; }
exe=$1 server=$2 dala=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
export WINEDEBUG=-all

work=$(mktemp -d /tmp/dala-windows-e2e-XXXXXX)
[ -n "${KEEP:-}" ] && echo "work: $work"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "windows e2e: $*" >&2; exit 1; }

export DALA_PASSWORD=coordinator-pw-e2e
"$server" init --data "$work/server" --project ngo --title "ЦОН бағалауы" >/dev/null
"$server" user add aigerim --role coordinator --data "$work/server" >/dev/null
"$server" user add asel --role volunteer --data "$work/server" >/dev/null
"$server" form publish "$root/schema/forms/citizen_exit_survey.json" --data "$work/server" --project ngo >/dev/null
"$server" serve --data "$work/server" --listen 127.0.0.1:0 --port-file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the server did not start: $(cat "$work/server.log")"
url="http://127.0.0.1:$(cat "$work/port")"

# The laptop: a profile under a Kazakh folder name, as under a Windows
# user called Әсел.
mkdir -p "$work/Әсел профилі"
profile=$(winepath -w "$work/Әсел профилі")
laptop() { DALA_HOME="$profile" DALA_PASSPHRASE="asel-laptop-passphrase" wine "$exe" "$@"; }

laptop init --lang kk >"$work/init.txt" || fail "dala.exe init failed: $(cat "$work/init.txt")"
[ -s "$work/Әсел профилі/dala.db" ] || fail "no profile under the Kazakh folder name"
code=$("$server" enroll-code asel --data "$work/server" 2>/dev/null)
laptop enroll "$url" "$code" --label "Әсел ноутбугы" >"$work/enroll.txt" 2>&1 || fail "enroll failed: $(cat "$work/enroll.txt")"
laptop sync >"$work/sync1.txt" 2>&1 || fail "first sync failed: $(cat "$work/sync1.txt")"

comment='Ұзақ күттім, бірақ қызметкерлер сыпайы болды. Очередь — 40 минут; «ЦОН» №1.'
cat >"$work/answers.json" <<JSON
{"consent": "yes", "region": "ala", "centre": "ala_01", "service": "id_documents",
 "waiting_minutes": 40, "service_completed": "yes", "satisfaction": 3, "informal_payment": "prefer_not_to_say",
 "info_clarity": "partly_clear", "service_language": "both", "language_preferred": "yes", "age_band": "35_44",
 "comment": "$comment"}
JSON
laptop collect citizen_exit_survey --answers "$(winepath -w "$work/answers.json")" >"$work/collect.txt" 2>&1 ||
  fail "collect failed: $(cat "$work/collect.txt")"
laptop sync >"$work/sync2.txt" 2>&1 || fail "second sync failed: $(cat "$work/sync2.txt")"
laptop list --json >"$work/list.json" || fail "list failed"
python3 - "$work/list.json" "$comment" <<'PY' || fail "the laptop does not list one synced record with the text as typed"
import json, sys
rows = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(rows) == 1 and rows[0]["sync"] == "synced", rows
assert rows[0]["answers"]["comment"] == sys.argv[2], rows[0]["answers"]["comment"]
PY

# What the server holds is what was typed, byte for byte.
"$server" export --data "$work/server" --format json -o "$work/export.json" >/dev/null 2>&1
python3 - "$work/export.json" "$comment" <<'PY' || fail "the Kazakh text did not arrive intact"
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
def strings(v):
    if isinstance(v, dict):
        for x in v.values(): yield from strings(x)
    elif isinstance(v, list):
        for x in v: yield from strings(x)
    elif isinstance(v, str):
        yield v
# The very string typed, as one whole value: not a near copy, not a part.
assert sys.argv[2] in set(strings(data)), "the comment is not a value of the export"
PY

# The auditor: the server's bundle with the Windows laptop's receipts.
laptop receipts --export "$(winepath -w "$work/receipts")" >/dev/null || fail "receipts --export failed"
ls "$work/receipts"/*.json >/dev/null 2>&1 || fail "no receipt files were written"
"$server" export --data "$work/server" --bundle "$work/audit.bundle" >/dev/null 2>&1
"$dala" audit verify "$work/audit.bundle" --receipts "$work/receipts" >"$work/audit.txt" 2>&1 ||
  fail "the audit failed: $(cat "$work/audit.txt")"
echo "windows e2e: dala.exe enrolled, collected and synced under Wine; the Kazakh text arrived intact; audit passed"
