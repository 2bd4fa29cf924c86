#!/usr/bin/env bash
# Configuration audit benchmark: `stormwatch audit` against ciscoconfparse2 (Python,
# a parser only) on the same files, same run, same machine.
#
#   bash benches/audit.sh        (from the repo root, after `cargo build --release`)
#
# Prints a Markdown table on stdout; progress on stderr. Needs ../shared/data and
# ciscoconfparse2 in .venv (`.venv/bin/pip install ciscoconfparse2`; benchmark only,
# not CI). The file set: every file of shared/data/netconf that stormwatch parses as a
# Cisco or Juniper configuration (skipped vendors excluded); ciscoconfparse2 gets the
# same files with the matching `syntax=` (ios, nxos, iosxr, asa, junos).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
DATA="${STORMWATCH_DATA:-$REPO/../shared/data}"
NET="$DATA/netconf"
BIG="$NET/ciscoconfparse/sample_06.ios"
BIN="${STORMWATCH_BIN:-$REPO/target/release/stormwatch}"
[[ -x "$BIN" ]] || cargo build --release -q --bin stormwatch
PY="$REPO/.venv/bin/python"
"$PY" -c 'import ciscoconfparse2' || { echo "install ciscoconfparse2 into .venv first" >&2; exit 1; }
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
export STORMWATCH_DB="$WORK/b.db"
log() { printf '[audit] %s\n' "$*" >&2; }

log "load: $(uptime)"
"$BIN" -q --no-progress --format json audit "$NET" >"$WORK/all.json" || [[ $? -eq 1 ]]
"$PY" - "$WORK/all.json" "$WORK/list.tsv" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
syn = {"cisco-ios": "ios", "cisco-ios-xe": "ios", "cisco-nx-os": "nxos", "cisco-ios-xr": "iosxr",
       "cisco-asa": "asa", "juniper-junos": "junos", "juniper-junos-set": "junos"}
with open(sys.argv[2], "w") as out:
    for f in d["files"]:
        out.write(f"{syn[f['vendor']]}\t{f['file']}\n")
print(len(d["files"]), len(d["findings"]), len(d["skipped"]), len(d["errors"]), file=sys.stderr)
EOF
NFILES=$(wc -l <"$WORK/list.tsv")
cut -f2 "$WORK/list.tsv" >"$WORK/files.txt"
BYTES=$(xargs -d '\n' cat <"$WORK/files.txt" | wc -c)
log "$NFILES files, $BYTES bytes"

cat >"$WORK/ccp.py" <<'EOF'
import sys, time, warnings
warnings.filterwarnings("ignore")
from ciscoconfparse2 import CiscoConfParse
from loguru import logger
logger.remove()  # ciscoconfparse2 logs every failure; keep its output (and time) out of the run
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
fail = 0
t = time.perf_counter()
for syn, path in rows:
    try:
        CiscoConfParse(path, syntax=syn)
    except Exception:
        fail += 1
open(sys.argv[2], "w").write("%.3f %d\n" % (time.perf_counter() - t, fail))
EOF

# hyperfine: mean and stddev in ms.
hf() {
    hyperfine -N -i --warmup "$2" --runs "$3" --style none --export-json "$WORK/hf.json" "$1" >/dev/null 2>&1
    "$PY" -c 'import json; r=json.load(open("'"$WORK"'/hf.json"))["results"][0]; print("%.1f %.1f" % (r["mean"]*1000, r["stddev"]*1000))'
}

log "stormwatch audit: all $NFILES files (one process, parse + model + checks + indicators)"
xargs -d '\n' "$BIN" -q --no-progress --format json audit <"$WORK/files.txt" >/dev/null || true
read -r sw_all sw_all_sd < <(hf "$BIN -q --no-progress --format json audit $NET" 2 10)
log "stormwatch audit: the 700 KB IOS file"
read -r sw_big sw_big_sd < <(hf "$BIN -q --no-progress --format json audit $BIG" 3 20)

log "ciscoconfparse2: parse the same files (3 runs, best)"
best_all=""; fails=0
for _ in 1 2 3; do
    "$PY" "$WORK/ccp.py" "$WORK/list.tsv" "$WORK/ccp.out" >/dev/null 2>&1
    read -r t f <"$WORK/ccp.out"
    fails=$f
    if [[ -z "$best_all" ]] || awk -v a="$t" -v b="$best_all" 'BEGIN{exit !(a<b)}'; then best_all=$t; fi
done
printf 'ios\t%s\n' "$BIG" >"$WORK/big.tsv"
best_big=""
for _ in 1 2 3; do
    "$PY" "$WORK/ccp.py" "$WORK/big.tsv" "$WORK/ccp.out" >/dev/null 2>&1
    read -r t _f <"$WORK/ccp.out"
    if [[ -z "$best_big" ]] || awk -v a="$t" -v b="$best_big" 'BEGIN{exit !(a<b)}'; then best_big=$t; fi
done

"$PY" - "$sw_all" "$sw_all_sd" "$sw_big" "$sw_big_sd" "$best_all" "$fails" "$best_big" "$NFILES" "$BYTES" <<'EOF'
import sys
sw_all, sw_all_sd, sw_big, sw_big_sd, cc_all, fails, cc_big, n, b = sys.argv[1:]
sw_all, sw_big, cc_all, cc_big = float(sw_all), float(sw_big), float(cc_all) * 1000, float(cc_big) * 1000
n, b = int(n), int(b)
print("| measurement | stormwatch audit | ciscoconfparse2 (parse only) | ratio |")
print("|---|---|---|---|")
print(f"| {n} files, {b/1e6:.1f} MB (all Cisco/Juniper files of netconf) | {sw_all:.0f} ms ± {float(sw_all_sd):.0f} ({n/(sw_all/1000):,.0f} configs/s) | {cc_all:,.0f} ms ({n/(cc_all/1000):,.0f} configs/s, {fails} failures) | {cc_all/sw_all:.0f}x |")
print(f"| sample_06.ios (700 KB IOS) | {sw_big:.1f} ms ± {float(sw_big_sd):.1f} | {cc_big:,.0f} ms | {cc_big/sw_big:.0f}x |")
EOF
log "load: $(uptime)"
