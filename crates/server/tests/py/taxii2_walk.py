"""Walks a Stormwatch TAXII 2.1 server with the OASIS taxii2-client and checks every
object it receives with stix2-validator.

usage: taxii2_walk.py URL USER TOKEN EXPECTED_COUNT
Prints one JSON line of results; exits non-zero on the first failed check.
"""
import json
import sys
import uuid

from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

url, user, token, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
checks = []


def check(cond, what):
    if not cond:
        print(json.dumps({"failed": what, "passed": checks}))
        sys.exit(1)
    checks.append(what)


options = ValidationOptions(version="2.1", strict=False)
invalid = []


def validate(objs):
    for o in objs:
        r = validate_instance(o, options)
        if not r.is_valid:
            invalid.append({"id": o.get("id"), "errors": [str(e) for e in r.errors][:3]})


server = Server(url, user=user, password=token)
check(server.title == "Stormwatch TAXII 2.1 server", "discovery")
root = server.default
check(root is not None and len(server.api_roots) == 1, "api roots")
check("application/taxii+json;version=2.1" in root.versions, "api root versions")
cols = {c.title: c for c in root.collections}
check("ics" in cols, "collections")
ics = cols["ics"]
check(ics.can_read and ics.can_write, "collection permissions")

# Page through everything, 100 at a time, following `next`.
seen = []
pages = 0
for env in as_pages(ics.get_objects, per_request=100):
    pages += 1
    objs = env.get("objects", [])
    seen.extend(objs)
    validate(objs)
ids = [o["id"] for o in seen]
check(len(ids) == expected, f"paged all {expected} objects (got {len(ids)} in {pages} pages)")
check(len(set(ids)) == len(ids), "no object twice across pages")
check(not invalid, f"stix2-validator accepted every object ({len(invalid)} invalid: {invalid[:3]})")

# Filters.
env = ics.get_objects(type="intrusion-set")
check(env["objects"] and all(o["type"] == "intrusion-set" for o in env["objects"]), "match[type]")
n_is = len(env["objects"])
env = ics.get_objects(type=["intrusion-set", "malware"])
check(len(env["objects"]) > n_is, "match[type] with two types")
one = seen[5]["id"]
env = ics.get_objects(id=one)
check([o["id"] for o in env["objects"]] == [one], "match[id]")
env = ics.get_objects(id=one, version="all")
check(len(env["objects"]) == 1, "match[version]=all")
env = ics.get_objects(id=one, version="first")
check(len(env["objects"]) == 1, "match[version]=first")
env = ics.get_objects(id=one, spec_version="2.1")
check(len(env["objects"]) == 1, "match[spec_version]=2.1")
env = ics.get_objects(id=one, spec_version="2.0")
check(not env.get("objects"), "match[spec_version]=2.0 matches nothing")
first_page = ics.get_objects(limit=10)
check(len(first_page["objects"]) == 10 and first_page["more"], "limit")

# Manifest, all pages.
manifest = []
for env in as_pages(ics.get_manifest, per_request=500):
    manifest.extend(env.get("objects", []))
check(len(manifest) == expected, "manifest pages")
check(all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest), "manifest media types")
added = [m["date_added"] for m in manifest]
check(added == sorted(added) and len(set(added)) == len(added), "date_added strictly increasing")
# added_after the 10th entry returns exactly the rest.
after = []
for env in as_pages(ics.get_manifest, per_request=1000, added_after=added[9]):
    after.extend(env.get("objects", []))
check(len(after) == expected - 10, "added_after")

# Add objects (a new version of one, and a new indicator), poll status.
base = ics.get_object(one)["objects"][0]
newer = dict(base)
newer["modified"] = "2099-01-01T00:00:00.000Z"
ind_id = "indicator--" + str(uuid.uuid4())
indicator = {
    "type": "indicator", "spec_version": "2.1", "id": ind_id,
    "created": "2025-08-27T00:00:00.000Z", "modified": "2025-08-27T00:00:00.000Z",
    "name": "test indicator", "pattern": "[ipv4-addr:value = '198.51.100.7']",
    "pattern_type": "stix", "valid_from": "2025-08-27T00:00:00Z",
}
status = ics.add_objects({"objects": [newer, indicator]})
check(status.status == "complete" and status.success_count == 2 and status.failure_count == 0, "add objects")
again = root.get_status(status.id)
check(again.status == "complete" and again.total_count == 2, "status endpoint")

# Invalid STIX: nothing partial, per-object failures.
bad = {"type": "indicator", "spec_version": "2.1", "id": "indicator--" + str(uuid.uuid4())}
status = ics.add_objects({"objects": [bad, dict(indicator, id="indicator--" + str(uuid.uuid4()))]})
check(status.success_count == 0 and status.failure_count == 2, "invalid object rejects the whole request")

# Versions.
v = ics.object_versions(one)
check(v["versions"] == sorted(v["versions"]) and len(v["versions"]) == 2, "versions")
latest = ics.get_object(one)["objects"][0]
check(latest["modified"] == "2099-01-01T00:00:00.000Z", "latest version by default")
oldest = ics.get_object(one, version="first")["objects"][0]
check(oldest["modified"] == base["modified"], "first version")
exact = ics.get_object(one, version=base["modified"])["objects"]
check(len(exact) == 1 and exact[0]["modified"] == base["modified"], "match[version]=TIMESTAMP")
validate([latest, oldest, ics.get_object(ind_id)["objects"][0]])

# Delete.
ics.delete_object(ind_id)
try:
    ics.get_object(ind_id)
    check(False, "deleted object is gone")
except Exception as e:  # requests HTTPError 404
    check("404" in str(e), "deleted object is gone")
ics.delete_object(one, version=base["modified"])
v = ics.object_versions(one)
check(len(v["versions"]) == 1, "delete one version")

check(not invalid, f"stix2-validator accepted every object ({invalid[:3]})")
print(json.dumps({"passed": checks, "objects": len(ids), "pages": pages}))
