#!/usr/bin/env python3
"""pySigma + SQLite oracle for `stormwatch detect` (crates/detect/tests/oracle.rs).

Loads Zeek logs (TSV or JSON, gzip or not) into one SQLite table per Zeek path, the
values normalised as Stormwatch reads them (unset fields NULL, T/F as true/false,
sets and vectors joined with ",", numbers as written), converts each Sigma rule with
pySigma's SQLite backend and the very pipeline files Stormwatch ships
(crates/detect/pipelines), runs the queries and prints, per rule id, the (file, line)
pairs that matched. With --bench it prints load and query times instead.

usage: pysigma_oracle.py [--bench] --pipeline FILE... --rules PATH... --logs PATH...
"""

import argparse
import glob
import gzip
import json
import os
import re
import sqlite3
import sys
import time
import tomllib

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline


def files_under(paths, exts):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(glob.glob(os.path.join(p, "**", "*"), recursive=True)):
                if os.path.isfile(f) and f.endswith(exts):
                    out.append(f)
        else:
            out.append(p)
    return out


def open_text(path):
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="\n")
    return open(path, "rt", encoding="utf-8", errors="replace", newline="\n")


def unhex(s):
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), s)


def flatten_json(obj, prefix, out, full):
    for k, v in obj.items():
        key = prefix + k
        if isinstance(v, dict):
            flatten_json(v, key + ".", out, full)
        elif isinstance(v, list):
            elems = [e for e in v if not isinstance(e, (dict, list)) and e is not None]
            txt = [("true" if e is True else "false" if e is False else str(e)) for e in elems]
            out[key] = ",".join(txt) if txt else None
            full.extend(txt)
        elif v is None:
            out[key] = None
        else:
            t = "true" if v is True else "false" if v is False else str(v)
            out[key] = t
            full.append(t)


def records(path):
    """(zeek path, line number, fields, fulltext) per record."""
    sep, set_sep, empty, unset, zpath, fields, sets = "\t", ",", "(empty)", "-", "", [], []
    with open_text(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            if line.startswith("{"):
                try:
                    obj = json.loads(line, parse_float=str, parse_int=str)
                except ValueError:
                    continue
                out, full = {}, []
                flatten_json(obj, "", out, full)
                yield out.get("_path") or "", n, out, "\t".join(full)
                continue
            if line.startswith("#"):
                if line.startswith("#separator "):
                    sep = unhex(line.split(" ", 1)[1])
                    continue
                parts = line.split(sep)
                key, vals = parts[0], parts[1:]
                if key == "#set_separator":
                    set_sep = unhex(vals[0])
                elif key == "#empty_field":
                    empty = vals[0]
                elif key == "#unset_field":
                    unset = vals[0]
                elif key == "#path":
                    zpath = vals[0]
                elif key == "#fields":
                    fields, sets = vals, [False] * len(vals)
                elif key == "#types":
                    sets = [t.startswith("set[") or t.startswith("vector[") for t in vals]
                continue
            out = {}
            for i, v in enumerate(line.split(sep)):
                if i >= len(fields):
                    break
                is_set = sets[i] if i < len(sets) else False
                if v == unset:
                    continue
                if v == empty:
                    out[fields[i]] = None if is_set else ""
                    continue
                if is_set:
                    out[fields[i]] = ",".join(unhex(e) for e in v.split(set_sep))
                else:
                    v = unhex(v) if "\\" in v else v
                    out[fields[i]] = {"T": "true", "F": "false"}.get(v, v)
            yield zpath, n, out, line


def quote(name):
    return '"' + name.replace('"', '""') + '"'


def table_name(zpath):
    return "zeek_" + re.sub(r"[^A-Za-z0-9_]", "_", zpath or "unknown")


def load(con, log_files):
    """Streams the records into one table per Zeek path (columns added as seen)."""
    tables = {}
    batch = {}

    def flush():
        for (name, cols), rows in batch.items():
            names = ", ".join(quote(c) for c in ("sw_file", "sw_line", "fulltext") + cols)
            marks = ", ".join("?" * (len(cols) + 3))
            con.executemany(f"INSERT INTO {quote(name)} ({names}) VALUES ({marks})", rows)
        batch.clear()

    pending = 0
    for path in log_files:
        for zpath, n, fields, full in records(path):
            name = table_name(zpath)
            cols = tables.get(name)
            if cols is None:
                con.execute(
                    f"CREATE TABLE {quote(name)} (sw_file TEXT, sw_line TEXT, fulltext TEXT COLLATE NOCASE)"
                )
                cols = tables[name] = set()
            new = [k for k in fields if k.lower() not in cols]
            if new:
                flush()
                for k in new:
                    con.execute(f"ALTER TABLE {quote(name)} ADD COLUMN {quote(k)} TEXT COLLATE NOCASE")
                    cols.add(k.lower())
            batch.setdefault((name, tuple(fields)), []).append([path, str(n), full, *fields.values()])
            pending += 1
            if pending >= 20000:
                flush()
                pending = 0
    flush()
    return {z[len("zeek_"):]: z for z in tables}


def regexp(p, v):
    return v is not None and re.search(p, str(v)) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pipeline", nargs="+", required=True)
    ap.add_argument("--logsources", required=True)
    ap.add_argument("--rules", nargs="+", required=True)
    ap.add_argument("--logs", nargs="+", required=True)
    ap.add_argument("--bench", action="store_true")
    a = ap.parse_args()

    t0 = time.monotonic()
    con = sqlite3.connect(":memory:")
    con.create_function("regexp", 2, regexp, deterministic=True)
    tables = load(con, files_under(a.logs, (".log", ".gz", ".json", ".jsonl")))
    t_load = time.monotonic() - t0

    with open(a.logsources, "rb") as f:
        routing = tomllib.load(f)["source"]
    pipeline = None
    for p in a.pipeline:
        with open(p) as f:
            pl = ProcessingPipeline.from_yaml(f.read())
        pipeline = pl if pipeline is None else pipeline + pl

    result, errors = {}, {}
    t1 = time.monotonic()
    for rf in files_under(a.rules, (".yml", ".yaml")):
        with open(rf) as f:
            text = f.read()
        try:
            coll = SigmaCollection.from_yaml(text)
            rule = coll.rules[0]
        except Exception as e:  # noqa: BLE001 - the reason is reported
            errors[rf] = f"parse: {e}"
            continue
        ls = rule.logsource
        services = []
        if ls.product == "zeek" and ls.service:
            services = [ls.service]
        elif ls.product in (None, "zeek") and ls.category and not ls.service:
            services = [
                s["service"]
                for s in routing
                if s["product"] == "zeek" and ls.category in s["categories"]
            ]
        if not services:
            continue
        rid = str(rule.id)
        matched = set()
        ok = True
        for svc in services:
            table = tables.get(svc)
            if table is None:
                continue
            backend = sqliteBackend(pipeline, table=table, fulltext_field="fulltext", collate_nocase=True)
            try:
                queries = backend.convert(SigmaCollection.from_yaml(text))
            except Exception as e:  # noqa: BLE001
                errors[rid] = f"convert: {e}"
                ok = False
                break
            for q in queries:
                while True:
                    try:
                        cur = con.execute(q)
                        break
                    except sqlite3.OperationalError as e:
                        m = re.search(r"no such column: (.+)$", str(e))
                        if not m:
                            raise
                        col = m.group(1).strip().strip('"`')
                        con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(col)} TEXT COLLATE NOCASE")
                names = [d[0] for d in cur.description]
                fi, li = names.index("sw_file"), names.index("sw_line")
                for row in cur:
                    matched.add((row[fi], int(row[li])))
        if ok:
            result[rid] = {"file": rf, "matches": sorted(matched)}
    t_query = time.monotonic() - t1
    if a.bench:
        total = sum(len(r["matches"]) for r in result.values())
        json.dump({"load_seconds": t_load, "query_seconds": t_query, "rules": len(result), "matches": total}, sys.stdout)
    else:
        json.dump({"rules": result, "errors": errors}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
