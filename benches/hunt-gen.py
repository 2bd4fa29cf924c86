#!/usr/bin/env python3
"""Data and indicator generator for benches/hunt.sh (the indicator-sweep benchmark).

Subcommands (each prints `key=value` lines on stdout, progress on stderr):

  build-log --out FILE [--min-bytes N] [--data DIR]
      Concatenate the data lines of the real Zeek TSV logs (trickbot-2018-11-09/*.log
      and zed-sample-data/zeek-default/*.log.gz, decompressed, '#' lines dropped),
      in a fixed order, repeatedly until FILE holds at least N bytes (default 1 GiB).
      FILE starts with one Zeek header (conn's: #separator \\x09 ... #fields ts ...).

  prefix --bytes N IN OUT
      Copy the first whole lines of IN holding at most N bytes to OUT.

  iocs --out-dir DIR [--sizes 10000,1000000] [--seed 239] [--advisory FILE] [--data DIR]
      Write the indicator lists, one value a line:
        iocs-<size>.txt       for each size: the advisory's 89 addresses and 4 SHA-256
                              values, 50 IPv4 and 20 domains that occur in the logs
                              ("known hits"), 20 IPv4 "boundary probes" that occur
                              inside longer tokens (some also as whole tokens elsewhere) (1.2.3.4.in-addr.arpa, ::ffff:1.2.3.4,
                              1.2.3.4:80, 1.0.9.8.4), and synthetic values to reach
                              <size>, in the proportions 60% IP, 30% domain, 10% SHA-256
        iocs-<size>-ipv4.txt  the IPv4 values of iocs-<size>.txt alone
        known-hits.txt        the injected values that occur in the logs as whole tokens
        boundary-probes.txt   the probes, each with the shape of a token it is inside
      The smaller lists are prefixes (per kind) of the larger ones, so every list holds
      the same real and injected values; synthetic values never equal a token of the
      logs, so the known hits (and any advisory value present) are the only exact
      matches (the probes mostly match inside longer tokens). Order within a list is shuffled with the seed. Deterministic for a seed.

  swstats --jsonl FILE [--known FILE]
      Count a `stormwatch hunt --format jsonl` output: records, distinct lines, distinct
      indicator values; with --known, which of those values were not reported.

  compare --sw FILE.jsonl --rg FILE --log LOG --md OUT.md [--samples 5] [--title T]
      Cross-check line numbers: stormwatch's jsonl (`line`) against the output of
      `rg -F -w -n --column -o -f LIST LOG` (LINE:COL:MATCH). Prints counts, classifies
      lines only rg reports by the token around rg's match (Stormwatch's token rule:
      maximal runs of [A-Za-z0-9.:_@-]), and writes samples of both differences to OUT.md,
      plus Stormwatch records whose value is part of a longer token (by the same rule).

Only the standard library is used.
"""

import argparse
import collections
import glob
import gzip
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))

# Stormwatch's token classes (crates/hunt/src/scan.rs): maximal runs of letters, digits,
# '.', ':', '-', '_' and '@'. Used to keep synthetic values out of the logs.
TOKEN = re.compile(rb"[A-Za-z0-9.:_@-]+")
IPV4 = re.compile(r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
TLDS = ["com", "net", "org", "info", "biz", "io", "ru", "cn", "top", "xyz", "online",
        "site", "club", "de", "uk", "co", "me", "cc", "tk", "pw"]


def log(msg):
    print(f"[hunt-gen] {msg}", file=sys.stderr, flush=True)


def source_files(data):
    zeek = os.path.join(data, "logs", "zeek")
    files = sorted(glob.glob(os.path.join(zeek, "trickbot-2018-11-09", "*.log")))
    files += sorted(glob.glob(os.path.join(zeek, "zed-sample-data", "zeek-default", "*.log.gz")))
    if not files:
        sys.exit(f"hunt-gen: no Zeek logs under {zeek}")
    return files


def read_log(path):
    """Yields (fields, data_line_bytes) for each data line; fields is the #fields list."""
    opener = gzip.open if path.endswith(".gz") else open
    fields = None
    with opener(path, "rb") as f:
        for line in f:
            if line.startswith(b"#"):
                if line.startswith(b"#fields"):
                    fields = line.rstrip(b"\r\n").decode().split("\t")[1:]
                continue
            if not line.strip():
                continue
            if not line.endswith(b"\n"):
                line += b"\n"
            yield fields, line


def header(data):
    """conn.log's header lines (all but #close)."""
    conn = os.path.join(data, "logs", "zeek", "trickbot-2018-11-09", "conn.log")
    out = []
    with open(conn, "rb") as f:
        for line in f:
            if not line.startswith(b"#"):
                break
            out.append(line)
    if not out or not out[0].startswith(b"#separator") or not any(l.startswith(b"#fields\tts\t") for l in out):
        sys.exit(f"hunt-gen: {conn} has no Zeek header")
    return b"".join(out)


def data_block(data):
    return b"".join(line for p in source_files(data) for _, line in read_log(p))


def cmd_build_log(a):
    block = data_block(a.data)
    head = header(a.data)
    block_lines = block.count(b"\n")
    reps = max(1, -(-(a.min_bytes - len(head)) // len(block)))
    log(f"block: {len(block):,} bytes, {block_lines:,} lines from {len(source_files(a.data))} logs; writing {reps} copies to {a.out}")
    with open(a.out, "wb") as f:
        f.write(head)
        for _ in range(reps):
            f.write(block)
    size = os.path.getsize(a.out)
    print(f"bytes={size}")
    head_lines = head.count(b"\n")
    print(f"lines={head_lines + reps * block_lines}")
    print(f"header_lines={head_lines}")
    print(f"block_bytes={len(block)}")
    print(f"block_lines={block_lines}")
    print(f"copies={reps}")
    print(f"sources={len(source_files(a.data))}")


def cmd_prefix(a):
    n = 0
    lines = 0
    with open(a.input, "rb") as f, open(a.output, "wb") as o:
        while True:
            chunk = f.readlines(1 << 20)
            if not chunk:
                break
            for line in chunk:
                if n + len(line) > a.bytes:
                    break
                o.write(line)
                n += len(line)
                lines += 1
            else:
                continue
            break
    print(f"bytes={n}")
    print(f"lines={lines}")


def advisory_values(path):
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    text = "\n".join(o.get("pattern", "") for o in bundle.get("objects", []) if o.get("type") == "indicator")
    v4 = list(dict.fromkeys(re.findall(r"ipv4-addr:value = '([^']+)'", text)))
    v6 = list(dict.fromkeys(re.findall(r"ipv6-addr:value = '([^']+)'", text)))
    sha = list(dict.fromkeys(h.lower() for h in re.findall(r"hashes\.'SHA-256' = '([0-9A-Fa-f]{64})'", text)))
    return v4, v6, sha


def valid_domain(d):
    if not (4 <= len(d) <= 253) or "." not in d:
        return False
    labels = d.split(".")
    if len(labels) < 2 or not all(LABEL.match(l) for l in labels):
        return False
    tld = labels[-1]
    return tld.isalpha() and 2 <= len(tld) <= 6 and tld not in ("local", "arpa", "lan", "home")


DOTTED_QUAD = re.compile(rb"(?<![0-9A-Za-z_])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9A-Za-z_])")


def scan_logs(data):
    """Returns (lines-per-token counts, candidate IPv4s, candidate domains, embedded):
    embedded maps a dotted quad that occurs inside a longer token (what rg -w matches,
    as '.' and ':' are not word characters) to (token shape, lines it is on)."""
    tokens = collections.Counter()  # lines containing the token (once per line)
    ips = set()
    doms = set()
    embedded = {}
    for p in source_files(data):
        for fields, line in read_log(p):
            toks = set(TOKEN.findall(line))
            tokens.update(toks)
            for t in toks:
                if t.count(b".") >= 3 and len(t) > 7:
                    for m in DOTTED_QUAD.finditer(t):
                        if m.group() != t:
                            v = m.group().decode()
                            shape = re.sub(rb"[0-9]+", b"N", t).decode("ascii", "replace")
                            s, n = embedded.get(v, (shape, 0))
                            embedded[v] = (s, n + 1)
            if not fields:
                continue
            cols = line.rstrip(b"\n").split(b"\t")
            for name in ("id.orig_h", "id.resp_h"):
                if name in fields:
                    i = fields.index(name)
                    if i < len(cols):
                        v = cols[i].decode("ascii", "replace")
                        if IPV4.match(v):
                            ips.add(v)
            if "query" in fields:
                i = fields.index("query")
                if i < len(cols):
                    v = cols[i].decode("ascii", "replace").lower()
                    if valid_domain(v):
                        doms.add(v)
    return tokens, ips, doms, embedded


def pick_probes(rng, embedded, tokens, n, max_lines):
    """n IPv4 values that occur in the logs inside longer tokens (reverse-DNS names,
    ::ffff: mapped addresses, addr:port, dotted version strings), some of them also as
    whole tokens elsewhere: where substring matchers and token matchers disagree.
    Spread over the token shapes; at most max_lines lines each per copy."""
    by_shape = collections.defaultdict(list)
    for v, (shape, lines) in embedded.items():
        if IPV4.match(v) and lines + tokens.get(v.encode(), 0) <= max_lines:
            # Group shapes loosely: the part after the address (in-addr.arpa, dnsbl names...).
            key = re.sub(r"^N\.N\.N\.N", "ADDR", shape)
            by_shape[key].append(v)
    shapes = sorted(by_shape)
    for k in shapes:
        by_shape[k] = sorted(by_shape[k])
        rng.shuffle(by_shape[k])
    out = []
    while len(out) < n and any(by_shape[k] for k in shapes):
        for k in shapes:
            if by_shape[k] and len(out) < n:
                out.append(by_shape[k].pop())
    return sorted(out)


def pick_hits(rng, cands, tokens, n, max_lines):
    """n values seen in the logs on 1..max_lines lines each (as whole tokens), so the
    sweep finds real matches without the output dominating the run."""
    rare = sorted(v for v in cands if 1 <= tokens.get(v.encode(), 0) <= max_lines)
    if len(rare) < n:
        rare = sorted(cands, key=lambda v: (tokens.get(v.encode(), 0), v))[: max(n, len(rare))]
    return sorted(rng.sample(rare, min(n, len(rare))))


def synthetic(rng, kind, taken):
    while True:
        if kind == "ipv4":
            v = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if v.startswith(("10.", "127.", "192.168.", "169.254.")) or re.match(r"^172\.(1[6-9]|2[0-9]|3[01])\.", v):
                continue
        elif kind == "domain":
            labels = [
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(3, 14)))
                for _ in range(rng.choice((1, 1, 1, 2)))
            ]
            v = ".".join(labels + [rng.choice(TLDS)])
            if not valid_domain(v):
                continue
        else:
            v = "%064x" % rng.getrandbits(256)
        if v not in taken:
            taken.add(v)
            return v


def cmd_iocs(a):
    sizes = sorted(int(s) for s in a.sizes.split(","))
    rng = random.Random(a.seed)
    v4, v6, sha = advisory_values(a.advisory)
    if len(v4) + len(v6) != 89 or len(sha) != 4:
        log(f"warning: advisory gives {len(v4)} IPv4 + {len(v6)} IPv6 and {len(sha)} SHA-256 (expected 89 addresses, 4 hashes)")
    log("scanning the logs for known hits and their tokens")
    tokens, ip_cands, dom_cands, embedded = scan_logs(a.data)
    hit_v4 = pick_hits(rng, ip_cands, tokens, a.hit_ipv4, a.hit_max_lines)
    hit_dom = pick_hits(rng, dom_cands, tokens, a.hit_domains, a.hit_max_lines)
    probes = [v for v in pick_probes(rng, embedded, tokens, a.probes, a.probe_max_lines) if v not in hit_v4]
    adv_in_logs = [v for v in v4 + v6 + sha if tokens.get(v.encode(), 0)]

    # Values seen anywhere in the logs as a token are never generated.
    taken = {t.decode("ascii", "replace").lower() for t in tokens}
    fixed = {"ip": v4 + v6 + hit_v4 + probes, "domain": hit_dom, "sha256": sha}
    taken.update(v for vs in fixed.values() for v in vs)
    share = {"ip": 0.6, "domain": 0.3, "sha256": 0.1}
    gen_kind = {"ip": "ipv4", "domain": "domain", "sha256": "sha256"}

    biggest = sizes[-1]
    want = {k: round(biggest * s) for k, s in share.items()}
    want["sha256"] = biggest - want["ip"] - want["domain"]
    streams = {}
    for k in share:
        krng = random.Random(f"{a.seed}:{k}")
        n = max(0, want[k] - len(fixed[k]))
        log(f"generating {n:,} synthetic {gen_kind[k]} values")
        streams[k] = [synthetic(krng, gen_kind[k], taken) for _ in range(n)]

    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "known-hits.txt"), "w") as f:
        for v in hit_v4 + hit_dom:
            f.write(v + "\n")
    with open(os.path.join(a.out_dir, "boundary-probes.txt"), "w") as f:
        for v in probes:
            f.write(f"{v}\t{embedded[v][0]}\n")
    print(f"advisory_ipv4={len(v4)}")
    print(f"advisory_ipv6={len(v6)}")
    print(f"advisory_sha256={len(sha)}")
    print(f"advisory_in_logs={len(adv_in_logs)}")
    print(f"hit_ipv4={len(hit_v4)}")
    print(f"hit_domains={len(hit_dom)}")
    print(f"hit_lines_per_copy={sum(tokens.get(v.encode(), 0) for v in hit_v4 + hit_dom)}")
    print(f"probes={len(probes)}")
    print(f"probe_lines_per_copy={sum(embedded[v][1] + tokens.get(v.encode(), 0) for v in probes)}")
    print(f"probe_whole_token_lines_per_copy={sum(tokens.get(v.encode(), 0) for v in probes)}")
    print(f"probe_shapes={'; '.join(sorted(set(embedded[v][0] for v in probes)))}")
    for size in sizes:
        counts = {k: round(size * s) for k, s in share.items()}
        counts["sha256"] = size - counts["ip"] - counts["domain"]
        values = []
        for k in share:
            need = counts[k] - len(fixed[k])
            if need < 0:
                sys.exit(f"hunt-gen: size {size} too small for the fixed {k} values")
            values += fixed[k] + streams[k][:need]
        assert len(values) == size and len(set(values)) == size, (size, len(values), len(set(values)))
        random.Random(f"{a.seed}:order:{size}").shuffle(values)
        name = f"iocs-{size}"
        with open(os.path.join(a.out_dir, name + ".txt"), "w") as f:
            f.write("\n".join(values) + "\n")
        only4 = [v for v in values if IPV4.match(v)]
        with open(os.path.join(a.out_dir, name + "-ipv4.txt"), "w") as f:
            f.write("\n".join(only4) + "\n")
        n6 = sum(1 for v in values if ":" in v)
        print(f"list_{size}={name}.txt ipv4={len(only4)} ipv6={n6} domain={counts['domain']} sha256={counts['sha256']}")


def cmd_swstats(a):
    records = 0
    lines = set()
    values = set()
    with open(a.jsonl, encoding="utf-8") as f:
        for l in f:
            if not l.strip():
                continue
            r = json.loads(l)
            records += 1
            if r.get("line") is not None:
                lines.add(r["line"])
            values.add(str(r.get("indicator_value", "")).lower())
    print(f"records={records}")
    print(f"lines={len(lines)}")
    print(f"values={len(values)}")
    if a.known:
        with open(a.known) as f:
            known = [l.strip().lower() for l in f if l.strip()]
        missing = [v for v in known if v not in values]
        print(f"known={len(known)}")
        print(f"known_missing={len(missing)}")
        print(f"known_missing_values={' '.join(missing[:10])}")


TOKCHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:_@-")


def enclosing_token(line, start, end):
    while start > 0 and line[start - 1] in TOKCHARS:
        start -= 1
    while end < len(line) and line[end] in TOKCHARS:
        end += 1
    return start, end


def rg_class(match, token):
    """Why rg -w reports a value Stormwatch's token rule would not: the shape of the token."""
    if token == match:
        return "whole token"  # same token: a value Stormwatch should have reported
    low = token.lower()
    if low.endswith((b".in-addr.arpa", b".in-addr.arpa.")):
        return "reverse-DNS name"
    if re.fullmatch(re.escape(match) + rb":[0-9]{1,5}", token):
        return "addr:port"
    if low.startswith(b"::ffff:"):
        return "::ffff: mapped address"
    if re.fullmatch(rb"[0-9.]+", token):
        return "longer dotted number"
    if re.fullmatch(rb"[A-Za-z]+:" + re.escape(match), token):
        return "word:version"
    if re.search(rb"[A-Za-z]", token):
        return "other name"
    return "other token"


def excerpt(line, start, end, width=70):
    s = max(0, start - width)
    e = min(len(line), end + width)
    t = line[s:start] + b"[[" + line[start:end] + b"]]" + line[end:e]
    t = t.decode("utf-8", "replace").replace("\t", " \u2192 ")
    return ("\u2026" if s > 0 else "") + t + ("\u2026" if e < len(line) else "")


def cmd_compare(a):
    sw = collections.defaultdict(list)  # line -> [(offset, value)]
    with open(a.sw, encoding="utf-8") as f:
        for l in f:
            if l.strip():
                r = json.loads(l)
                if r.get("line") is not None:
                    sw[int(r["line"])].append((r.get("offset"), r.get("value", "")))
    rg = collections.defaultdict(list)  # line -> [(col, match)]
    with open(a.rg, "rb") as f:
        for l in f:
            parts = l.rstrip(b"\n").split(b":", 2)
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                rg[int(parts[0])].append((int(parts[1]), parts[2]))
    both = sw.keys() & rg.keys()
    sw_only = sorted(sw.keys() - rg.keys())
    rg_only = sorted(rg.keys() - sw.keys())
    rng = random.Random(a.seed)

    def sample(lines, key):
        # Prefer distinct values, deterministic.
        seen, first = set(), []
        for n in lines:
            k = key(n)
            if k not in seen:
                seen.add(k)
                first.append(n)
        pick = rng.sample(first, min(a.samples, len(first)))
        rest = [n for n in lines if n not in set(pick)]
        pick += rng.sample(rest, min(a.samples - len(pick), len(rest)))
        return sorted(pick)

    # rg-only classes need the text of every rg-only line (few, usually); one pass.
    s_sw = sample(sw_only, lambda n: sw[n][0][1])
    need = set(rg_only) | set(s_sw)
    text = {}
    if need:
        with open(a.log, "rb") as f:
            for n, l in enumerate(f, 1):
                if n in need:
                    text[n] = l.rstrip(b"\n")
                    if len(text) == len(need):
                        break
    classes = collections.Counter()
    cls_of = {}
    for n in rg_only:
        line = text.get(n, b"")
        c_line = []
        for col, m in rg[n]:
            s0 = col - 1
            ts, te = enclosing_token(line, s0, s0 + len(m))
            c_line.append(rg_class(m, line[ts:te]))
        # A line counts as a miss if any of its rg matches is a whole token.
        c = "whole token" if "whole token" in c_line else c_line[0] if c_line else "?"
        classes[c] += 1
        cls_of[n] = c
    # Samples: one per class in turn (then distinct values), so each kind of difference shows.
    s_rg = []
    by_class = collections.defaultdict(list)
    for n in rg_only:
        by_class[cls_of[n]].append(n)
    order = [c for c, _ in classes.most_common()]
    if "whole token" in order:
        order.remove("whole token")
        order.insert(0, "whole token")
    pools = {c: sample(by_class[c], lambda n: rg[n][0][1]) for c in order}
    while len(s_rg) < a.samples and any(pools.values()):
        for c in order:
            if pools[c] and len(s_rg) < a.samples:
                s_rg.append(pools[c].pop(0))
    s_rg.sort()

    # Stormwatch matches whose value is part of a longer token (by the same rule): both
    # tools may agree on such a line, so the line comparison alone does not show them.
    inside = collections.Counter()
    inside_ex = {}
    with open(a.log, "rb") as f:
        for n in sorted(sw):
            for off, v in sw[n]:
                if off is None:
                    continue
                vb = v.encode("utf-8", "replace")
                lo = max(0, off - 512)
                f.seek(lo)
                win = f.read(off - lo + len(vb) + 512)
                s0 = off - lo
                if win[s0:s0 + len(vb)].lower() != vb.lower():
                    continue
                ts, te = enclosing_token(win, s0, s0 + len(vb))
                tok = win[ts:te]
                if tok.rstrip(b".") != vb and tok.rstrip(b".").lower() != vb.lower():
                    c = rg_class(vb, tok)
                    inside[c] += 1
                    if c not in inside_ex:
                        ls = win.rfind(b"\n", 0, s0) + 1
                        le = win.find(b"\n", s0)
                        line = win[ls:le if le >= 0 else len(win)]
                        inside_ex[c] = (n, v, tok, excerpt(line, s0 - ls, s0 - ls + len(vb)))

    md = []
    md.append(f"**{a.title}**: stormwatch {len(sw):,} lines, rg {len(rg):,} lines, both {len(both):,}; "
              f"only stormwatch {len(sw_only):,}; only rg {len(rg_only):,}"
              + (" (" + ", ".join(f"{k}: {v:,}" for k, v in classes.most_common()) + ")" if classes else "") + ".")
    md.append("")
    if s_rg:
        md.append(f"Lines only rg reports (sample of {len(s_rg)}; `[[...]]` marks rg's match, \u2192 a tab; "
                  "the token is the maximal run of `[A-Za-z0-9.:_@-]` around it):")
        md.append("")
        md.append("```text")
        for n in s_rg:
            line = text.get(n, b"")
            col, m = rg[n][0]
            ts, te = enclosing_token(line, col - 1, col - 1 + len(m))
            md.append(f"line {n}: rg matched {m.decode('utf-8', 'replace')} in token "
                      f"{line[ts:te].decode('utf-8', 'replace')} ({cls_of[n]})")
            md.append("    " + excerpt(line, col - 1, col - 1 + len(m)))
        md.append("```")
        md.append("")
    if s_sw:
        md.append(f"Lines only Stormwatch reports (sample of {len(s_sw)}; `[[...]]` marks the value as seen):")
        md.append("")
        md.append("```text")
        for n in s_sw:
            line = text.get(n, b"")
            v = sw[n][0][1]
            i = line.find(v.encode("utf-8", "replace"))
            if i < 0:
                i, j = 0, 0
            else:
                j = i + len(v.encode("utf-8", "replace"))
            md.append(f"line {n}: stormwatch matched {v}")
            md.append("    " + excerpt(line, i, j))
        md.append("```")
        md.append("")
    if inside:
        md.append(f"Stormwatch records whose value is part of a longer token ({sum(inside.values()):,}: "
                  + ", ".join(f"{k}: {v:,}" for k, v in inside.most_common()) + "; one example each):")
        md.append("")
        md.append("```text")
        for c, _ in inside.most_common():
            n, v, tok, ex = inside_ex[c]
            md.append(f"line {n}: stormwatch matched {v} in token {tok.decode('utf-8', 'replace')} ({c})")
            md.append("    " + ex)
        md.append("```")
        md.append("")
    with open(a.md, "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    print(f"sw_lines={len(sw)}")
    print(f"rg_lines={len(rg)}")
    print(f"both={len(both)}")
    print(f"sw_only={len(sw_only)}")
    print(f"rg_only={len(rg_only)}")
    print(f"rg_only_whole_token={classes.get('whole token', 0)}")
    print(f"rg_only_classes={'; '.join(f'{k}: {v}' for k, v in classes.most_common())}")
    print(f"sw_inside_token={sum(inside.values())}")
    print(f"sw_inside_classes={'; '.join(f'{k}: {v}' for k, v in inside.most_common())}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build-log")
    b.add_argument("--out", required=True)
    b.add_argument("--min-bytes", type=int, default=1 << 30)
    b.add_argument("--data", default=DEFAULT_DATA)
    x = sub.add_parser("prefix")
    x.add_argument("--bytes", type=int, required=True)
    x.add_argument("input")
    x.add_argument("output")
    i = sub.add_parser("iocs")
    i.add_argument("--out-dir", required=True)
    i.add_argument("--sizes", default="10000,1000000")
    i.add_argument("--seed", type=int, default=239)
    i.add_argument("--data", default=DEFAULT_DATA)
    i.add_argument("--advisory", default=None)
    i.add_argument("--hit-ipv4", type=int, default=50)
    i.add_argument("--hit-domains", type=int, default=20)
    i.add_argument("--probes", type=int, default=20,
                   help="IPv4 values that occur only inside longer tokens (boundary probes)")
    i.add_argument("--probe-max-lines", type=int, default=15)
    i.add_argument("--hit-max-lines", type=int, default=3,
                   help="a known hit occurs on at most this many lines of one copy of the logs")
    st = sub.add_parser("swstats")
    st.add_argument("--jsonl", required=True)
    st.add_argument("--known")
    c = sub.add_parser("compare")
    c.add_argument("--sw", required=True)
    c.add_argument("--rg", required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--md", required=True)
    c.add_argument("--samples", type=int, default=5)
    c.add_argument("--seed", type=int, default=239)
    c.add_argument("--title", default="IPv4 cross-check")
    a = p.parse_args()
    if a.cmd == "iocs" and a.advisory is None:
        a.advisory = os.path.join(a.data, "advisories", "AA25-239A.stix.json")
    {"build-log": cmd_build_log, "prefix": cmd_prefix, "iocs": cmd_iocs,
     "swstats": cmd_swstats, "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    main()
