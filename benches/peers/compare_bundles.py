#!/usr/bin/env python3
"""Compare a STIX bundle exported by Stormwatch with the bundle that was imported.

Usage:
  compare_bundles.py INPUT EXPORTED            # exact: same objects, equal JSON values
  compare_bundles.py --upgrade INPUT EXPORTED  # 2.0 input: same ids, every exported
                                               # object has spec_version "2.1"

Objects are matched by id, or by (id, modified) if either bundle holds several
versions of one id (ATT&CK bundles have one version per id). "Equal JSON
values" means equal after parsing: key order and whitespace do not matter,
anything else (a reformatted timestamp, a dropped or added property, a changed
list order) is a difference.

Prints "OK ..." and exits 0, or prints the differences (the first --max of
them in detail, plus a summary by property) and exits 1. Exit 2 on unreadable
input.
"""
import argparse
import collections
import json
import sys


def load(path):
    with open(path, "r", encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise ValueError(f"{path}: top level is not a STIX bundle")
    return data, data.get("objects") or []


def index(objs, versioned):
    """Map key -> object; also return keys seen more than once."""
    out, dups = {}, []
    for o in objs:
        key = (o.get("id"), o.get("modified")) if versioned else o.get("id")
        if key in out:
            dups.append(key)
        out[key] = o
    return out, dups


def ident(key):
    return f"{key[0]} (modified {key[1]})" if isinstance(key, tuple) else key


def diff(a, b, path="", out=None, limit=20):
    """Collect (path, a, b) for JSON values that differ, at most `limit`."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = f"{path}.{k}" if path else k
            if k not in a:
                out.append((p, "<absent>", b[k]))
            elif k not in b:
                out.append((p, a[k], "<absent>"))
            else:
                diff(a[k], b[k], p, out, limit)
            if len(out) >= limit:
                break
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append((path, f"<list of {len(a)}>", f"<list of {len(b)}>"))
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                diff(x, y, f"{path}[{i}]", out, limit)
                if len(out) >= limit:
                    break
    elif type(a) is not type(b) or a != b:
        # type check: 1 vs 1.0 vs True are different JSON values
        out.append((path, a, b))
    return out


def short(v, n=100):
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) or not v.startswith("<") else v
    return s if len(s) <= n else s[: n - 3] + "..."


def top_key(path):
    return path.split(".")[0].split("[")[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("exported")
    ap.add_argument("--upgrade", action="store_true",
                    help="input is STIX 2.0: check same ids and spec_version 2.1 on every exported object")
    ap.add_argument("--max", type=int, default=10, help="objects to show in detail (default 10)")
    args = ap.parse_args()

    try:
        _, in_list = load(args.input)
        ex_bundle, ex_list = load(args.exported)
    except (OSError, ValueError) as e:
        print(f"ERROR: {e}")
        return 2

    multi = any(len({o.get("id") for o in l}) != len(l) for l in (in_list, ex_list))
    versioned = multi and not args.upgrade
    inp, in_dups = index(in_list, versioned)
    exp, ex_dups = index(ex_list, versioned)

    problems = 0
    print(f"input:    {len(in_list)} objects ({args.input})")
    print(f"exported: {len(ex_list)} objects ({args.exported})")
    if in_dups:
        print(f"note: input has {len(in_dups)} duplicate keys; last one wins")
    if ex_dups:
        problems += len(ex_dups)
        print(f"DIFF: exported bundle has {len(ex_dups)} duplicate keys, e.g. {ex_dups[:3]}")
    if versioned:
        print("note: several versions of some ids; matching objects by (id, modified)")

    if args.upgrade:
        # Compare ids only (an upgrade may legitimately change values).
        missing, extra = sorted(set(inp) - set(exp)), sorted(set(exp) - set(inp))
    else:
        missing, extra = sorted(set(inp) - set(exp)), sorted(set(exp) - set(inp))
    if missing:
        problems += len(missing)
        print(f"DIFF: {len(missing)} input objects missing from export, e.g. {missing[:5]}")
    if extra:
        problems += len(extra)
        print(f"DIFF: {len(extra)} exported objects not in input, e.g. {extra[:5]}")

    if args.upgrade:
        bad = [o.get("id") for o in ex_list if o.get("spec_version") != "2.1"]
        if bad:
            problems += len(bad)
            print(f"DIFF: {len(bad)} exported objects without spec_version \"2.1\", e.g. {bad[:5]}")
        if "spec_version" in ex_bundle:
            print("note: exported bundle has a top-level spec_version (a STIX 2.0 bundle property)")
        # Informational: what else the 2.0 -> 2.1 upgrade changed, by property.
        changed = collections.Counter()
        for k, o in exp.items():
            src = inp.get(k)
            if src is not None:
                for p, _, _ in diff(src, o, limit=1000):
                    changed[top_key(p)] += 1
        if changed:
            print("info: properties changed by the upgrade (objects affected):",
                  ", ".join(f"{k}={n}" for k, n in changed.most_common(12)))
    else:
        n_diff = 0
        by_prop = collections.Counter()
        for key in sorted(set(inp) & set(exp)):
            d = diff(inp[key], exp[key], limit=1000)
            if d:
                n_diff += 1
                for p, _, _ in d:
                    by_prop[top_key(p)] += 1
                if n_diff <= args.max:
                    print(f"DIFF: {ident(key)}:")
                    for p, a, b in d[:8]:
                        print(f"    {p}: input={short(a)} exported={short(b)}")
                    if len(d) > 8:
                        print(f"    ... {len(d) - 8} more")
        if n_diff:
            problems += n_diff
            print(f"DIFF: {n_diff} objects differ; by property: "
                  + ", ".join(f"{k}={n}" for k, n in by_prop.most_common(12)))

    if problems:
        print(f"FAIL: {problems} differences")
        return 1
    what = "same ids, all spec_version 2.1" if args.upgrade else "identical JSON values"
    print(f"OK: {len(exp)} objects, {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
