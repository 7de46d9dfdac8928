#!/usr/bin/env bash
# packaging/nginx/dala.conf is valid nginx: wrapped in a minimal nginx.conf
# in a scratch directory, with a throwaway self-signed certificate at its
# ssl_certificate paths, and checked by `nginx -t`, which parses it and
# loads the certificates. `nginx -t` also binds every listen address (and
# fails on a port in use, or on port 80 when not root), so the copy checked
# listens on Unix sockets in the scratch directory instead: no TCP port.
#   tests/deploy/nginx_syntax_test.sh [path/to/dala.conf]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
conf=${1:-$here/../../packaging/nginx/dala.conf}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$nginx" ] || { echo "nginx_syntax_test: no nginx (scripts/bootstrap installs it)" >&2; exit 1; }
[ -f "$conf" ] || { echo "nginx_syntax_test: no $conf" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/logs" "$tmp/tls"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=dala.example.org \
  -keyout "$tmp/tls/dala.key" -out "$tmp/tls/dala.crt" >/dev/null 2>&1

# The example's certificate paths pointed at the throwaway certificate, and
# each listen address (with its parameters, such as ssl) at a socket of its
# own; everything else exactly as shipped.
grep -q '/etc/nginx/tls/dala.crt' "$conf" || { echo "nginx_syntax_test: $conf names no /etc/nginx/tls/dala.crt" >&2; exit 1; }
sed "s|/etc/nginx/tls/|$tmp/tls/|g" "$conf" |
  awk -v dir="$tmp" '$1 == "listen" { n++; sub(/listen[ \t]+[^ \t;]+/, "listen unix:" dir "/listen-" n ".sock") } { print }' \
  > "$tmp/dala.conf"
grep -q "listen unix:" "$tmp/dala.conf" || { echo "nginx_syntax_test: no listen line rewritten" >&2; exit 1; }

cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events {}
http {
    access_log $tmp/logs/access.log;
    client_body_temp_path $tmp/client_body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/dala.conf;
}
CONF

# nginx -t writes "syntax is ok" and "test is successful" on stderr; any
# error (an unknown directive, a module this nginx lacks) fails it.
if ! out=$("$nginx" -t -p "$tmp" -e "$tmp/logs/error.log" -c "$tmp/nginx.conf" 2>&1); then
  echo "$out" >&2
  echo "nginx_syntax_test: $conf is refused by $nginx" >&2
  exit 1
fi
echo "$out"
case $out in
  *"test is successful"*) echo "nginx_syntax_test: ok" ;;
  *) echo "nginx_syntax_test: nginx -t did not say the test succeeded" >&2; exit 1 ;;
esac
