#!/usr/bin/env bash
# Actors benchmark: MISP galaxy import and `actor show` latency, with named peers
# measured in the same run. Run from the repo root after `cargo build --release`:
#
#   bash benches/actors.sh
#
# Prints a Markdown table on stdout; progress on stderr. Needs ../shared/data.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
DATA="$REPO/../shared/data"
BIN="${STORMWATCH_BIN:-$REPO/target/release/stormwatch}"
[[ -x "$BIN" ]] || cargo build --release -q
PY="$REPO/.venv/bin/python"; [[ -x "$PY" ]] || PY=python3
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
GALAXY=("$DATA"/misp-galaxy/clusters/*.json)
log() { printf '[actors] %s\n' "$*" >&2; }

best() { # best-of-3 wall seconds and peak RSS (KiB) of a command; the command may reset state first
    local best="" rss=""
    for _ in 1 2 3; do
        eval "$1"
        /usr/bin/time -f '%e %M' -o "$WORK/t" bash -c "$2" >/dev/null 2>&1
        read -r t m <"$WORK/t"
        if [[ -z "$best" ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; rss=$m; fi
    done
    echo "$best $rss"
}

log "galaxy import (33 files, new store each run)"
read -r g_t g_rss < <(best "rm -f $WORK/g.db*" "$BIN -q --db $WORK/g.db import ${GALAXY[*]}")
log "peer: Python json.load of the same 33 files"
read -r p_t p_rss < <(best ":" "$PY -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' ${GALAXY[*]}")

log "full store: intel init + ATT&CK 18.1 + Microsoft mapping + 33 galaxy files"
rm -f "$WORK"/f.db*
"$BIN" -q --db "$WORK/f.db" intel init >/dev/null
"$BIN" -q --db "$WORK/f.db" import "$DATA/attack/enterprise-attack-18.1.json" "$DATA/microsoft/MicrosoftMapping.json" "${GALAXY[@]}" >/dev/null 2>&1
hf() { hyperfine -N -i --warmup 3 --runs 20 --style none --export-json "$WORK/hf.json" "$1" >/dev/null 2>&1; "$PY" -c 'import json; r=json.load(open("'"$WORK"'/hf.json"))["results"][0]; print("%.1f %.1f" % (r["mean"]*1000, r["stddev"]*1000))'; }
read -r s_m s_sd < <(hf "$BIN --db $WORK/f.db actor show GhostEmperor")
read -r j_m j_sd < <(hf "$BIN --db $WORK/f.db --format json actor show 'Salt Typhoon'")
read -r w_m w_sd < <(hf "$BIN --db $WORK/f.db actor why FamousSparrow 'Salt Typhoon'")
read -r r_m r_sd < <(hf "grep -c -i ghostemperor ${GALAXY[*]}")

cat <<MD
### Actors ($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))

| what | Stormwatch | peer | ratio |
|---|---|---|---|
| import all 33 MISP galaxy files into a new store (38k objects, 24.5k relationships), best of 3 | ${g_t} s, peak RSS $((g_rss / 1024)) MiB | Python \`json.load\` of the same files (parse only, no store): ${p_t} s | $(awk -v a="$g_t" -v b="$p_t" 'BEGIN{printf "%.2f", a/b}')x the parse-only time |
| \`actor show GhostEmperor\` on a full store (pack + ATT&CK 18.1 + Microsoft mapping + 33 galaxies), whole process | ${s_m} ± ${s_sd} ms | \`grep -c -i ghostemperor\` over the galaxy files (finds text, not a cluster): ${r_m} ± ${r_sd} ms | |
| \`--format json actor show "Salt Typhoon"\` | ${j_m} ± ${j_sd} ms | | |
| \`actor why FamousSparrow "Salt Typhoon"\` | ${w_m} ± ${w_sd} ms | | |
MD
