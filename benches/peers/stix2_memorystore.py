#!/usr/bin/env python3
"""Peer benchmark: load a STIX bundle into the Python `stix2` library's MemoryStore.

Usage: stix2_memorystore.py FILE [--method load_from_file|constructor] [--query WORD]

  load_from_file (default): stix2.MemoryStore().load_from_file(FILE)
                            (the library's own file loader: json.load + parse of every object)
  constructor:              stix2.MemoryStore(stix_data=json.load(f))

Both parse every object into a stix2 Python object (allow_custom=True, the MemoryStore
default, which ATT&CK needs for its x_mitre_* properties).

--query WORD additionally times (after the load, not including it) a query for
intrusion-sets whose name or aliases contain WORD (case-insensitive).

Prints key=value lines on stdout (seconds, peak RSS in KiB, object counts) so that
benches/import.sh can read them.
"""
import argparse
import json
import resource
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--method", choices=["load_from_file", "constructor"], default="load_from_file")
    ap.add_argument("--query", default=None)
    args = ap.parse_args()

    t0 = time.perf_counter()
    import stix2
    from stix2 import Filter
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    if args.method == "load_from_file":
        store = stix2.MemoryStore()
        store.load_from_file(args.file)
    else:
        with open(args.file, "r", encoding="utf-8") as f:
            store = stix2.MemoryStore(stix_data=json.load(f))
    t_load = time.perf_counter() - t0

    # Number of distinct ids held (MemoryStore keys by id; versions are grouped).
    n_ids = len(store.source._data)

    print(f"stix2_version={stix2.__version__}")
    print(f"method={args.method}")
    print(f"import_stix2_s={t_import:.3f}")
    print(f"load_s={t_load:.3f}")
    print(f"ids={n_ids}")

    if args.query:
        word = args.query.lower()
        t0 = time.perf_counter()
        hits = []
        for obj in store.query([Filter("type", "=", "intrusion-set")]):
            names = [obj.get("name", "")] + list(obj.get("aliases", []) or [])
            if any(word in n.lower() for n in names):
                hits.append(obj["id"])
        t_query = time.perf_counter() - t0
        print(f"query_s={t_query:.4f}")
        print(f"query_hits={len(hits)}")

    print(f"peak_rss_kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
