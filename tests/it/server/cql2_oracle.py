"""An independent CQL2 evaluator for qala's filter tests: pygeofilter (geopython) parses each
filter and evaluates it in Python (shapely for geometry) over the features qala served.

Input (argv[1]): {"layers": {slug: {"features": [...], "dates": [field, ...]}},
                  "cases": [{"collection": slug, "lang": "cql2-text"|"cql2-json", "filter": str}]}
Output (stdout): for each case, the sorted ids of the features that pass.

SQL's NULL logic differs from Python's: a comparison that meets a missing value raises
TypeError here, and the feature is counted as not passing (the tests choose filters where
that is SQL's answer too).
"""

import datetime
import json
import sys

import shapely.geometry
from pygeofilter.backends.native.evaluate import NativeEvaluator
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text


def casei(v):
    return v.lower() if isinstance(v, str) else v


def bbox(*n):
    if len(n) == 6:
        n = (n[0], n[1], n[3], n[4])
    return shapely.geometry.box(*n)


def main():
    data = json.load(open(sys.argv[1], encoding="utf-8"))
    items = {}
    for slug, layer in data["layers"].items():
        rows = []
        for f in layer["features"]:
            item = dict(f["properties"])
            for d in layer["dates"]:
                if item.get(d):
                    item[d] = datetime.date.fromisoformat(item[d])
            item["geometry"] = shapely.geometry.shape(f["geometry"])
            rows.append((f["id"], item))
        items[slug] = rows
    out = []
    for case in data["cases"]:
        if case["lang"] == "cql2-json":
            ast = parse_json(json.loads(case["filter"]))
        else:
            ast = parse_text(case["filter"])
        test = NativeEvaluator(function_map={"casei": casei, "lower": casei, "bbox": bbox}, use_getattr=False).evaluate(ast)
        ids = []
        for fid, item in items[case["collection"]]:
            try:
                ok = bool(test(item))
            except TypeError:
                ok = False
            if ok:
                ids.append(fid)
        out.append(sorted(ids))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
