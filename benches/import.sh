#!/usr/bin/env bash
# Knowledge-base import benchmark: Stormwatch against named peers, same run, same machine.
#
#   bash benches/import.sh            (from the repo root)
#
# Prints a Markdown report to stdout (progress goes to stderr) and exits non-zero
# if any step fails (build, import, export, validator errors, bundle mismatch).
# See benches/README.md for what is measured and why.
#
# Environment knobs (all optional):
#   STORMWATCH_DATA   directory holding the ATT&CK bundles (default: ../shared/data/attack
#                     next to the repo, i.e. /work/shared/data/attack)
#   STORMWATCH_BIN    use this binary instead of building target/release/stormwatch
#   SKIP_BUILD=1      do not run cargo build (binary must already exist)
#   RUNS=3            runs for each "best of" timing (imports, Python peer)
#   SEARCH_RUNS=10    timed runs for the search latency (after 3 warmup runs)
#   SKIP_VALIDATOR=1  skip stix2-validator (it takes ~2 minutes per 50 MB bundle)
#   KEEP=1            keep the scratch directory (stores, exports, logs)
#   BENCH_TMP         where to put the scratch directory (default: $TMPDIR or /tmp)

set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO" || exit 1

DATA="${STORMWATCH_DATA:-$REPO/../shared/data/attack}"
ENTERPRISE="$DATA/enterprise-attack-18.1.json"
STIX20="$DATA/enterprise-attack-15.0.stix20.json"
RUNS="${RUNS:-3}"
SEARCH_RUNS="${SEARCH_RUNS:-10}"
VENV="$REPO/.venv"
PY="$VENV/bin/python"
PEERS="$REPO/benches/peers"

WORK="$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/stormwatch-bench.XXXXXX")"
FAILED=""
ROWS=()    # Markdown table rows, printed at the end
CHECKS=()  # correctness checks, printed after the table

log() { printf '[bench] %s\n' "$*" >&2; }

cleanup() {
    if [[ -n "$FAILED" || "${KEEP:-0}" == 1 ]]; then
        log "scratch directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

die() {
    FAILED="$*"
    log "FAILED: $*"
    report >&2
    exit 1
}

# ---------------------------------------------------------------- helpers
fmt() { awk -v x="$1" -v d="${2:-2}" 'BEGIN { printf "%.*f", d, x }'; }
div() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b == 0) print "n/a"; else printf "%.*f", d, a / b }'; }
min() { printf '%s\n' "$@" | sort -g | head -1; }
max() { printf '%s\n' "$@" | sort -g | tail -1; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
thousands() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
filesize() { stat -c %s "$1"; }
storesize() { local t=0 f; for f in "$1" "$1-wal" "$1-shm"; do [[ -f $f ]] && t=$((t + $(filesize "$f"))); done; echo "$t"; }

# measure NAME CMD...: run CMD under /usr/bin/time; sets M_WALL (s) and M_RSS (KiB).
# stdout+stderr of CMD go to $WORK/NAME.log; a non-zero exit is fatal.
measure() {
    local name="$1"; shift
    local tf="$WORK/$name.time" lf="$WORK/$name.log"
    /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$lf" 2>&1
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        log "command failed (exit $rc): $*"
        tail -n 20 "$lf" | sed 's/^/    /' >&2
        die "$name: exit $rc"
    fi
    read -r M_WALL M_RSS < <(tail -n 1 "$tf")
}

# ---------------------------------------------------------------- report
report() {
    echo "## Knowledge-base import benchmark"
    echo
    echo "Run $DATE_UTC with \`bash benches/import.sh\` at commit \`$COMMIT\`."
    echo
    echo "- Machine: $NPROC cores ($CPU_MODEL), $MEM_GIB GiB RAM, Linux $KERNEL; load average at start: $LOADAVG"
    echo "- Toolchain: $RUSTC; release profile (thin LTO)"
    echo "- Peers: Python $PYVER, stix2 $STIX2_VER, stix2-validator $VALIDATOR_VER; $HYPERFINE_VER; $(grep --version | head -1)"
    echo "- Timings are wall-clock seconds from \`/usr/bin/time -f '%e %M'\` (whole process, page cache warm), best of $RUNS unless noted; peak RSS is the maximum over those runs."
    echo
    echo "| # | Measurement | Tool | Time | Peak RSS | Notes |"
    echo "|---|---|---|---|---|---|"
    local r
    for r in "${ROWS[@]}"; do echo "$r"; done
    echo
    if [[ ${#CHECKS[@]} -gt 0 ]]; then
        echo "Checks:"
        echo
        for r in "${CHECKS[@]}"; do echo "- $r"; done
        echo
    fi
    if [[ -n "$FAILED" ]]; then
        echo "**FAILED:** $FAILED"
    fi
}

# ---------------------------------------------------------------- setup
[[ -f "$ENTERPRISE" && -f "$STIX20" ]] || { log "data not found under $DATA (set STORMWATCH_DATA)"; exit 1; }
DATA="$(cd "$DATA" && pwd)"; ENTERPRISE="$DATA/$(basename "$ENTERPRISE")"; STIX20="$DATA/$(basename "$STIX20")"

apt_install() {  # apt_install PACKAGE: best effort, needs root
    [[ $(id -u) == 0 ]] || return 1
    apt-get install -y -qq "$1" >/dev/null 2>&1 && return 0
    apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$1" >/dev/null 2>&1
}

if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time (apt)"
    apt_install time || { log "/usr/bin/time missing and could not be installed"; exit 1; }
fi
if ! command -v hyperfine >/dev/null 2>&1; then
    log "installing hyperfine (apt, optional)"
    apt_install hyperfine || log "hyperfine unavailable: falling back to date +%s%N timing"
fi
HAVE_HYPERFINE=0; command -v hyperfine >/dev/null 2>&1 && HAVE_HYPERFINE=1

if ! "$PY" -c 'import stix2, stix2validator' >/dev/null 2>&1; then
    log "setting up $VENV (stix2, stix2-validator)"
    [[ -x "$PY" ]] || python3 -m venv "$VENV" || { log "python3 -m venv failed"; exit 1; }
    "$VENV/bin/pip" install -q stix2 stix2-validator >&2 || { log "pip install failed"; exit 1; }
fi

DATE_UTC="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"
NPROC="$(nproc)"
CPU_MODEL="$(grep -m1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')"
MEM_GIB="$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
KERNEL="$(uname -r)"
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
RUSTC="$(rustc --version 2>/dev/null || echo 'rustc: not found')"
PYVER="$("$PY" -c 'import platform; print(platform.python_version())')"
STIX2_VER="$("$PY" -c 'import stix2; print(stix2.__version__)')"
VALIDATOR_VER="$("$PY" -c 'from importlib.metadata import version; print(version("stix2-validator"))')"
HYPERFINE_VER="$( ((HAVE_HYPERFINE)) && hyperfine --version || echo 'hyperfine: not installed')"

# ---------------------------------------------------------------- build
if [[ -n "${STORMWATCH_BIN:-}" ]]; then
    SW="$STORMWATCH_BIN"
else
    SW="$REPO/target/release/stormwatch"
    if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
        log "cargo build --release -p stormwatch-cli (log: $WORK/build.log)"
        if ! cargo build --release -p stormwatch-cli >"$WORK/build.log" 2>&1; then
            tail -n 30 "$WORK/build.log" | sed 's/^/    /' >&2
            die "cargo build --release -p stormwatch-cli failed"
        fi
    fi
fi
[[ -x "$SW" ]] || die "stormwatch binary not found at $SW"

count_objects() { "$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["objects"]))' "$1"; }

# ---------------------------------------------------------------- import + export + validate + compare
# import_new TAG FILE ROW: import FILE into a new store $WORK/TAG.db, best of RUNS.
# Sets SW_IMPORT_BEST.
import_new() {
    local tag="$1" file="$2" n="$3"
    local base; base="$(basename "$file")"
    local db="$WORK/$tag.db"
    local size objs walls=() rsss=() i
    size="$(filesize "$file")"
    objs="$(count_objects "$file")" || die "cannot read $file"
    cat "$file" >/dev/null  # warm the page cache for every tool alike

    for ((i = 1; i <= RUNS; i++)); do
        rm -f "$db" "$db-wal" "$db-shm"
        log "$tag: stormwatch import, run $i/$RUNS"
        measure "$tag-import-$i" "$SW" --db "$db" import "$file"
        walls+=("$M_WALL"); rsss+=("$M_RSS")
    done
    SW_IMPORT_BEST="$(min "${walls[@]}")"
    local rss; rss="$(max "${rsss[@]}")"
    ROWS+=("| $n | Import \`$base\` ($(mb "$size") MB, $(thousands "$objs") objects) into a new store | Stormwatch | **$(fmt "$SW_IMPORT_BEST") s** (runs: ${walls[*]}) | $(mib "$rss") MiB | peak RSS / file size = $(div "$((rss * 1024))" "$size")×; store $(mb "$(storesize "$db")") MB |")
}

# reimport TAG FILE ROW: import FILE again into the populated $WORK/TAG.db, best of RUNS.
# It must add nothing: export_check's comparison would see duplicates or new versions.
reimport() {
    local tag="$1" file="$2" n="$3"
    local db="$WORK/$tag.db" walls=() rsss=() i store1
    store1="$(storesize "$db")"
    for ((i = 1; i <= RUNS; i++)); do
        log "$tag: stormwatch re-import, run $i/$RUNS"
        measure "$tag-reimport-$i" "$SW" --db "$db" import "$file"
        walls+=("$M_WALL"); rsss+=("$M_RSS")
    done
    local store2; store2="$(storesize "$db")"
    # The import summary ("FILE: imported (stix-2.1): 0 new, 24772 unchanged, 0 rejected"), if
    # the CLI prints one; "N new" with N > 0 on a re-import is a failure.
    local summary added
    summary="$(grep -m1 -oE 'imported .*' "$WORK/$tag-reimport-$RUNS.log" | cut -c1-80 | sed 's/[|`]/ /g')"
    added="$(grep -oE '[0-9]+ new' <<<"$summary" | grep -oE '[0-9]+')"
    ROWS+=("| $n | Re-import the same file into the populated store | Stormwatch | **$(fmt "$(min "${walls[@]}")") s** (runs: ${walls[*]}) | $(mib "$(max "${rsss[@]}")") MiB | store $(mb "$store1") → $(mb "$store2") MB; ${summary:+\`$summary\`} |")
    CHECKS+=("\`$(basename "$file")\` re-import: ${summary:-no import summary printed}")
    [[ -z "$added" || "$added" == 0 ]] || die "$tag: re-import of an unchanged file added $added objects"
}

# export_check TAG FILE MODE(exact|upgrade) ROW: export $WORK/TAG.db, run stix2-validator
# on the export (no errors allowed) and compare it with FILE.
export_check() {
    local tag="$1" file="$2" mode="$3" n="$4"
    local base; base="$(basename "$file")"
    local db="$WORK/$tag.db" out="$WORK/$tag-export.json"
    log "$tag: stormwatch export"
    rm -f "$out"
    measure "$tag-export" "$SW" --db "$db" export -o "$out"
    [[ -s "$out" ]] || die "$tag: export wrote no file"
    local eobjs; eobjs="$(count_objects "$out")" || die "$tag: export is not a readable bundle"
    ROWS+=("| $n | Export the store to a STIX 2.1 bundle | Stormwatch | **$(fmt "$M_WALL") s** | $(mib "$M_RSS") MiB | $(thousands "$eobjs") objects, $(mb "$(filesize "$out")") MB |")

    # validator on the exported bundle: no errors allowed
    if [[ "${SKIP_VALIDATOR:-0}" != 1 ]]; then
        log "$tag: stix2_validator on the export (takes about 2 minutes)"
        local vlog="$WORK/$tag-validator.out" vrc
        /usr/bin/time -f '%e %M' -o "$WORK/$tag-validator.time" "$VENV/bin/stix2_validator" "$out" >"$vlog" 2>&1
        vrc=$?
        local vwall vrss verr vwarn
        read -r vwall vrss < <(tail -n 1 "$WORK/$tag-validator.time")
        # Error lines are indented "[X] <id>: ..." ("[X] STIX JSON: Invalid" is the summary line).
        verr="$(grep -E '^\s*\[X\]' "$vlog" | grep -vc 'STIX JSON: Invalid')"
        vwarn="$(grep -cE '^\s*\[!\] Warning' "$vlog")"
        local codes; codes="$(grep -oE '^\s*\[!\] Warning: [^ ]+ \{[0-9]+\}' "$vlog" | grep -oE '\{[0-9]+\}' | sort | uniq -c | sort -rn | awk '{ printf "%s%s×%s", sep, $2, $1; sep=", " }')"
        codes="$(thousands "$codes")"
        ROWS+=("| $n | stix2-validator on the export | stix2-validator $VALIDATOR_VER | $(fmt "$vwall") s (1 run) | $(mib "$vrss") MiB | $verr errors, $(thousands "$vwarn") warnings${codes:+ ($codes)}; exit $vrc |")
        CHECKS+=("\`$base\` export, stix2-validator: $verr errors, $(thousands "$vwarn") warnings (exit $vrc)")
        if [[ $vrc -ne 0 || $verr -ne 0 ]]; then
            log "validator errors by object type and message (first 100 characters):"
            grep -E '^\s+\[X\]' "$vlog" | sed -E 's/^\s*\[X\] ([a-z0-9-]+)--[^:]*: /\1: /; s/: \{.*\} is (valid|not valid) under (each|any) of .*/: <object> is \1 under \2 of <schemas>/' | cut -c1-100 \
                | sort | uniq -c | sort -rn | head -n 15 | sed 's/^/    /' >&2
            die "$tag: stix2-validator reported $verr errors on the export (exit $vrc; log $vlog)"
        fi
    else
        CHECKS+=("\`$base\` export, stix2-validator: skipped (SKIP_VALIDATOR=1)")
    fi

    # compare with the input
    local cargs=(); [[ $mode == upgrade ]] && cargs=(--upgrade)
    log "$tag: compare_bundles.py ${cargs[*]}"
    "$PY" "$PEERS/compare_bundles.py" "${cargs[@]}" "$file" "$out" >"$WORK/$tag-compare.log" 2>&1
    local crc=$?
    sed 's/^/    /' "$WORK/$tag-compare.log" >&2
    local what="same objects, equal JSON values"; [[ $mode == upgrade ]] && what="same ids, every object spec_version 2.1"
    CHECKS+=("\`$base\` export vs input ($what): $(tail -n 1 "$WORK/$tag-compare.log")")
    [[ $crc -eq 0 ]] || die "$tag: exported bundle differs from the input (see above)"
}

# ---------------------------------------------------------------- 1: enterprise 18.1 (STIX 2.1)
import_new enterprise "$ENTERPRISE" 1
SW_ENTERPRISE_BEST="$SW_IMPORT_BEST"
ENTERPRISE_DB="$WORK/enterprise.db"

# ---------------------------------------------------------------- 2: Python stix2 MemoryStore peer
py_load=(); py_wall=(); py_rss=(); py_query=()
for ((i = 1; i <= RUNS; i++)); do
    log "python stix2 MemoryStore load, run $i/$RUNS"
    measure "py-memorystore-$i" "$PY" "$PEERS/stix2_memorystore.py" "$ENTERPRISE" --query typhoon
    py_wall+=("$M_WALL"); py_rss+=("$M_RSS")
    py_load+=("$(sed -n 's/^load_s=//p' "$WORK/py-memorystore-$i.log")")
    py_query+=("$(sed -n 's/^query_s=//p' "$WORK/py-memorystore-$i.log")")
done
PY_IDS="$(sed -n 's/^ids=//p' "$WORK/py-memorystore-1.log")"
PY_HITS="$(sed -n 's/^query_hits=//p' "$WORK/py-memorystore-1.log")"
PY_LOAD_BEST="$(min "${py_load[@]}")"
PY_WALL_BEST="$(min "${py_wall[@]}")"
ROWS+=("| 2 | Load \`$(basename "$ENTERPRISE")\` into \`stix2.MemoryStore().load_from_file()\` (in memory, no persistence) | Python stix2 $STIX2_VER | **$(fmt "$PY_LOAD_BEST") s** in-process (runs: ${py_load[*]}); $(fmt "$PY_WALL_BEST") s whole process (runs: ${py_wall[*]}) | $(mib "$(max "${py_rss[@]}")") MiB | $(thousands "$PY_IDS") ids loaded; **python / stormwatch = $(div "$PY_LOAD_BEST" "$SW_ENTERPRISE_BEST" 1)×** (in-process load vs Stormwatch whole process), $(div "$PY_WALL_BEST" "$SW_ENTERPRISE_BEST" 1)× (whole process vs whole process) |")

# ---------------------------------------------------------------- 3, 4: re-import, export, validate, compare
reimport enterprise "$ENTERPRISE" 3
export_check enterprise "$ENTERPRISE" exact 4

# ---------------------------------------------------------------- 5: enterprise 15.0 (STIX 2.0 input)
import_new stix20 "$STIX20" 5
reimport stix20 "$STIX20" 5
export_check stix20 "$STIX20" upgrade 5

# ---------------------------------------------------------------- 6, 7: search latency
# time_cmd NAME CMD...: mean/min/stddev in ms over SEARCH_RUNS runs after 3 warmups
# (hyperfine -N, or a date +%s%N loop); sets T_MEAN T_MIN T_SD T_HOW. CMD's stdout -> $WORK/NAME.out
time_cmd() {
    local name="$1"; shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
        sed 's/^/    /' "$WORK/$name.err" | tail -n 10 >&2
        die "$name: command failed: $*"
    }
    if ((HAVE_HYPERFINE)); then
        local q; q="$(printf '%q ' "$@")"
        hyperfine -N --warmup 3 --runs "$SEARCH_RUNS" --style none --export-json "$WORK/$name.hf.json" "$q" >"$WORK/$name.hf.log" 2>&1 \
            || { tail -n 10 "$WORK/$name.hf.log" >&2; die "$name: hyperfine failed"; }
        read -r T_MEAN T_MIN T_SD < <("$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["mean"] * 1e3, r["min"] * 1e3, (r["stddev"] or 0) * 1e3)' "$WORK/$name.hf.json")
        T_HOW="hyperfine, $SEARCH_RUNS runs after 3 warmups"
    else
        local i t0 t1 ts=()
        for i in 1 2 3; do "$@" >/dev/null 2>&1; done
        for ((i = 0; i < SEARCH_RUNS; i++)); do
            t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
            ts+=("$(((t1 - t0) / 1000))")
        done
        read -r T_MEAN T_MIN T_SD < <(printf '%s\n' "${ts[@]}" | awk '{ s += $1; q += $1 * $1; if (NR == 1 || $1 < m) m = $1 }
            END { mu = s / NR; v = q / NR - mu * mu; printf "%f %f %f\n", mu / 1000, m / 1000, sqrt(v > 0 ? v : 0) / 1000 }')
        T_HOW="date +%s%N loop, $SEARCH_RUNS runs after 3 warmups"
    fi
}

log "search latency: stormwatch search typhoon"
time_cmd sw-search "$SW" --db "$ENTERPRISE_DB" search typhoon
ROWS+=("| 6 | \`search typhoon\` on the enterprise store | Stormwatch | **$(fmt "$T_MEAN" 1) ms** mean ± $(fmt "$T_SD" 1) (min $(fmt "$T_MIN" 1)) | | includes process startup and opening the store; $T_HOW; $(wc -l <"$WORK/sw-search.out") output lines |")

log "show latency: stormwatch show G1045"
time_cmd sw-show "$SW" --db "$ENTERPRISE_DB" show G1045
ROWS+=("| 6 | \`show G1045\` on the enterprise store | Stormwatch | **$(fmt "$T_MEAN" 1) ms** mean ± $(fmt "$T_SD" 1) (min $(fmt "$T_MIN" 1)) | | includes process startup; $T_HOW |")

log "search peer: grep -c -i typhoon"
time_cmd grep-typhoon grep -c -i typhoon "$ENTERPRISE"
ROWS+=("| 7 | \`grep -c -i typhoon\` over the 50 MB JSON file | GNU grep | $(fmt "$T_MEAN" 1) ms mean ± $(fmt "$T_SD" 1) (min $(fmt "$T_MIN" 1)) | | $(cat "$WORK/grep-typhoon.out") matching lines (no parsing, no ranking); $T_HOW |")

ROWS+=("| 7 | MemoryStore query: intrusion-sets with 'typhoon' in name/aliases | Python stix2 $STIX2_VER | $(awk -v s="$(min "${py_query[@]}")" 'BEGIN { printf "%.1f", s * 1000 }') ms best of $RUNS | | query only, in-process after the ${PY_LOAD_BEST} s load (not included); $PY_HITS hits |")

report
