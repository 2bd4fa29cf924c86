#!/usr/bin/env bash
# TAXII server load benchmark: `stormwatch serve` (SQLite and PostgreSQL) against
# medallion (the OASIS reference server, memory backend), same run, same machine,
# serving ICS ATT&CK (1,826 objects) on loopback.
#
#   bash benches/server.sh            (from the repo root)
#
# The load is wrk with 64 connections walking `next` through the whole collection,
# 100 objects a page (benches/server_walk.lua), as an authenticated user who may see
# every object. Prints a Markdown report to stdout; progress goes to stderr.
#
# Knobs: DURATION=60 (seconds per wrk run), CONNS=64, THREADS=2, SKIP_BUILD=1,
# PG_URL (admin URL; default postgres://postgres@127.0.0.1:5432/postgres; PG=0 skips),
# MEDALLION=0 skips medallion, SERVE_ARGS (extra `serve` flags, e.g. "--threads 1").
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO" || exit 1
ICS="${STORMWATCH_DATA:-$REPO/../shared/data/attack}/ics-attack-18.1.json"
DURATION="${DURATION:-60}"
CONNS="${CONNS:-64}"
THREADS="${THREADS:-2}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
BIN="$REPO/target/release/stormwatch"
PY="$REPO/.venv/bin/python"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/stormwatch-serve-bench.XXXXXX")"
PIDS=()
log() { printf '[bench] %s\n' "$*" >&2; }
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [[ -n "${PGDB:-}" ]] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "building release binary"
    cargo build --release --bin stormwatch >&2 || exit 1
fi

# setup STORE_FLAG... : collection `ics` (TLP:CLEAR default), user bench with read; prints the token
setup() {
    "$BIN" "$@" admin collection add ics --default-marking TLP:CLEAR >/dev/null || return 1
    "$BIN" "$@" import -q --collection ics "$ICS" >/dev/null || return 1
    "$BIN" "$@" admin org add benchorg >/dev/null && "$BIN" "$@" admin user add bench --org benchorg >/dev/null \
        && "$BIN" "$@" admin grant bench ics read >/dev/null && "$BIN" "$@" admin token create bench 2>/dev/null
}

# serve NAME PORT STORE_FLAGS...: starts the server, waits for it
serve() {
    local name=$1 port=$2; shift 2
    "$BIN" "$@" serve --quiet --listen "127.0.0.1:$port" --rate-limit 0 ${SERVE_ARGS:-} 2>"$WORK/$name.log" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.1; done
    log "$name did not start"; cat "$WORK/$name.log" >&2; return 1
}

# rss_sampler PID OUT: RSS in KiB every 5 s
rss_sampler() {
    while kill -0 "$1" 2>/dev/null; do ps -o rss= -p "$1" >>"$2"; sleep 5; done
}

# load NAME PORT TOKEN COLLECTION_ID
ROWS=()
load() {
    local name=$1 port=$2 token=$3 cid=$4
    local url="http://127.0.0.1:$port/taxii2/root/collections/$cid/objects/"
    # Check the walk: pages and objects seen by following next once.
    local n=0 objs=0 next=""
    while :; do
        local body; body=$(curl -sf -H "Authorization: Bearer $token" "$url?limit=100${next:+&next=$next}") || { log "$name: page failed"; return 1; }
        n=$((n + 1)); objs=$((objs + $(printf '%s' "$body" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["objects"]))')))
        next=$(printf '%s' "$body" | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("next",""))')
        [[ -z "$next" ]] && break
    done
    log "$name: one walk = $n pages, $objs objects"
    : >"$WORK/$name.rss"
    rss_sampler "$SERVER_PID" "$WORK/$name.rss" &
    local sampler=$!
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$REPO/benches/server_walk.lua" \
        -H "Authorization: Bearer $token" "$url" >"$WORK/$name.wrk" 2>&1
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
    cat "$WORK/$name.wrk" >&2
    local rps p50 p99 errs non2xx rss0 rss1
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/$name.wrk")
    p50=$(awk '$1=="50%" {print $2}' "$WORK/$name.wrk")
    p99=$(awk '$1=="99%" {print $2}' "$WORK/$name.wrk")
    errs=$(awk '/Socket errors/ {print $0}' "$WORK/$name.wrk")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/$name.wrk")
    rss0=$(head -n 2 "$WORK/$name.rss" | tail -n 1); rss1=$(tail -n 1 "$WORK/$name.rss")
    ROWS+=("| $name | $n pages / $objs objects | ${rps:-0} | ${p50:-n/a} | ${p99:-n/a} | ${non2xx:-0} non-2xx${errs:+; $errs} | $((rss0 / 1024)) → $((rss1 / 1024)) MiB |")
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

log "SQLite store"
TOKEN=$(setup --db "$WORK/sqlite.db") || exit 1
CID=$("$BIN" --db "$WORK/sqlite.db" admin collection list -f json | "$PY" -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["name"]=="ics"][0])')
serve sqlite 18601 --db "$WORK/sqlite.db" || exit 1
load "stormwatch serve (SQLite)" 18601 "$TOKEN" "$CID" || exit 1
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null

if [[ "${PG:-1}" != 0 ]]; then
    log "PostgreSQL store"
    PGDB="sw_bench_$$"
    psql "$PG_URL" -qc "CREATE DATABASE $PGDB" || exit 1
    PGDBURL="${PG_URL%/*}/$PGDB"
    TOKEN=$(setup --database-url "$PGDBURL") || exit 1
    CID=$("$BIN" --database-url "$PGDBURL" admin collection list -f json | "$PY" -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["name"]=="ics"][0])')
    serve postgres 18602 --database-url "$PGDBURL" || exit 1
    load "stormwatch serve (PostgreSQL)" 18602 "$TOKEN" "$CID" || exit 1
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
fi

MED=""
if [[ "${MEDALLION:-1}" != 0 ]]; then
    log "medallion (memory backend)"
    "$PY" "$REPO/benches/peers/medallion_data.py" "$ICS" "$WORK/med-data.json" "$WORK/med-config.json" || exit 1
    "$REPO/.venv/bin/medallion" --port 18603 "$WORK/med-config.json" >"$WORK/medallion.log" 2>&1 &
    MPID=$!; PIDS+=("$MPID")
    for _ in $(seq 1 300); do curl -s -o /dev/null -u bench:bench "http://127.0.0.1:18603/taxii2/" && break; sleep 0.2; done
    murl="http://127.0.0.1:18603/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/?limit=100"
    one=$(curl -s -o "$WORK/med-page.json" -w '%{http_code} %{time_total}' -m 120 -u bench:bench \
        -H 'Accept: application/taxii+json;version=2.1' "$murl")
    mobjs=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("objects",[])))' "$WORK/med-page.json" 2>/dev/null || echo 0)
    log "medallion: one page: HTTP/time $one, $mobjs objects"
    wrk -t"$THREADS" -c"$CONNS" -d20s --timeout 20s --latency -H 'Authorization: Basic YmVuY2g6YmVuY2g=' \
        -H 'Accept: application/taxii+json;version=2.1' "$murl" >"$WORK/med.wrk" 2>&1
    cat "$WORK/med.wrk" >&2
    mreq=$(awk '/requests in/ {print $1}' "$WORK/med.wrk")
    mp50=$(awk '$1=="50%" {print $2}' "$WORK/med.wrk"); mp99=$(awk '$1=="99%" {print $2}' "$WORK/med.wrk")
    [[ "${mreq:-0}" == 0 ]] && mp50=- && mp99=-
    MED="| medallion $( "$REPO/.venv/bin/pip" show medallion 2>/dev/null | awk '/^Version/ {print $2}') (memory backend) | one page of 100: HTTP $one s ($mobjs objects) | $(awk '/Requests\/sec/ {print $2}' "$WORK/med.wrk") | $mp50 | $mp99 | ${mreq:-0} responses in 20 s$(awk '/Socket errors/ {print "; " $0}' "$WORK/med.wrk") | |"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem/ {print $2}') GiB; load average before $LOAD_BEFORE, after $LOAD_AFTER; wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}') on the same machine, $THREADS threads, $CONNS connections, ${DURATION} s per Stormwatch run."
echo
echo "| server | one walk of \`next\` | pages/s | p50 | p99 | errors | server RSS start → end |"
echo "|---|---|---|---|---|---|---|"
for r in "${ROWS[@]}"; do echo "$r"; done
[[ -n "$MED" ]] && echo "$MED"
