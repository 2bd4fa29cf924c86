"""Builds a medallion memory-backend data file serving one STIX bundle as one
collection (for benches/server.sh). usage: medallion_data.py BUNDLE OUT CONFIG_OUT"""
import datetime
import json
import sys

bundle, out, config_out = sys.argv[1], sys.argv[2], sys.argv[3]
objs = json.load(open(bundle, encoding="utf-8"))["objects"]
now = datetime.datetime.now(datetime.timezone.utc)
manifest = []
for i, o in enumerate(objs):
    added = (now + datetime.timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    manifest.append({"id": o["id"], "date_added": added,
                     "version": o.get("modified", o.get("created", added)),
                     "media_type": "application/stix+json;version=2.1"})
data = {
    "/discovery": {"title": "medallion", "default": "http://127.0.0.1/api1/", "api_roots": ["http://127.0.0.1/api1/"]},
    "api1": {
        "information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 100000000},
        "status": [],
        "collections": [{
            "id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "ics", "can_read": True, "can_write": False,
            "media_types": ["application/stix+json;version=2.1"], "objects": objs, "manifest": manifest,
        }],
    },
}
json.dump(data, open(out, "w", encoding="utf-8"))
json.dump({
    "backend": {"module_class": "MemoryBackend", "module": "medallion.backends.memory_backend", "filename": out},
    "users": {"bench": "bench"},
    "taxii": {"max_page_size": 100},
}, open(config_out, "w"))
