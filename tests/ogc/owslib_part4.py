"""OGC API Features Part 4 with a real client: OWSLib creates, replaces and deletes a
feature of a live `qala serve`, and GDAL's OAPIF driver (ogrinfo) reads each result back.

Usage: python owslib_part4.py BASE_URL COLLECTION TOKEN
Prints one JSON line with what it saw; exits non-zero on the first wrong answer.
"""

import json
import re
import subprocess
import sys

from owslib.ogcapi.features import Features

base, collection, token = sys.argv[1:4]


def ogr(*args):
    """ogrinfo on the collection through GDAL's OAPIF driver."""
    out = subprocess.run(
        ["ogrinfo", "-ro", "-q", *args, f"OAPIF:{base}/collections/{collection}", collection],
        check=True, capture_output=True, text=True,
        env={"GDAL_HTTP_TIMEOUT": "30", "CPL_VSIL_CURL_CACHE_SIZE": "0", "PATH": "/usr/bin:/bin"},
    ).stdout
    return out


def gdal_count():
    """Features GDAL reads, page after page (counted, not taken from numberMatched)."""
    return len(re.findall(r"^OGRFeature\(", ogr("-geom=NO"), re.M))


def gdal_feature(fid):
    """The feature as ogrinfo prints it (id as OGR FID)."""
    return ogr("-fid", str(fid))


def expect(cond, what):
    if not cond:
        print(json.dumps({"failed": what}))
        sys.exit(1)


w = Features(base, headers={"Authorization": f"Bearer {token}"})
seen = {"count_before": gdal_count()}
lane = {
    "type": "Feature",
    "geometry": {"type": "LineString", "coordinates": [[76.9201, 43.2401], [76.9252, 43.2433]]},
    "properties": {"name": "OWSLib lane", "facility": "painted", "status": "planned", "planned_year": 2029},
}
w.collection_item_create(collection, lane)
location = w.response_headers["Location"]
fid = int(location.rstrip("/").rsplit("/", 1)[1])
seen["created"] = fid
seen["count_after_create"] = gdal_count()
expect(seen["count_after_create"] == seen["count_before"] + 1, "GDAL sees the created feature")
created = w.collection_item(collection, str(fid))
expect(created["properties"]["name"] == "OWSLib lane", "OWSLib reads the created feature")
expect("OWSLib lane" in gdal_feature(fid), "GDAL reads the created feature's name")

lane["properties"]["name"] = "OWSLib lane, renamed"
lane["properties"]["status"] = "existing"
lane["properties"]["planned_year"] = None
w.collection_item_update(collection, str(fid), json.dumps(lane))
replaced = w.collection_item(collection, str(fid))
expect(replaced["properties"]["name"] == "OWSLib lane, renamed", "the replace keeps the id")
expect(replaced["properties"]["status"] == "existing", "the replace changes status")
out = gdal_feature(fid)
expect("OWSLib lane, renamed" in out and "existing" in out, "GDAL reads the replaced feature")
seen["count_after_replace"] = gdal_count()
expect(seen["count_after_replace"] == seen["count_after_create"], "a replace adds nothing")

w.collection_item_delete(collection, str(fid))
seen["count_after_delete"] = gdal_count()
expect(seen["count_after_delete"] == seen["count_before"], "GDAL no longer sees the deleted feature")
try:
    w.collection_item(collection, str(fid))
    expect(False, "the deleted feature is gone")
except RuntimeError as e:
    seen["deleted_read"] = json.loads(str(e))["code"]
print(json.dumps(seen))
