# Sourced by scripts that need a KeyTrack server of their own: a fresh data dir in $data (removed
# on exit, after the server is stopped by its PID) and `serve BINARY`, which starts the server on a
# free loopback port with that data dir and sets $server and $url.
data=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

serve() {
  "$1" serve --addr 127.0.0.1:0 --data-dir "$data" >"$data/out" 2>"$data/log" &
  server=$!
  url=
  for _ in $(seq 100); do
    url=$(sed -n 's/^KeyTrack listening on //p' "$data/out")
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { echo "the server did not start: $(cat "$data/log")" >&2; return 1; }
}
