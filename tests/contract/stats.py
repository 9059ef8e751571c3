"""Requests schemathesis sent per operation, from its NDJSON report (the newest in DIR).

    python3 tests/contract/stats.py DIR
"""

import collections
import json
import pathlib
import sys

reports = sorted(pathlib.Path(sys.argv[1]).glob("ndjson-*.ndjson"))
if not reports:
    sys.exit(f"no ndjson report in {sys.argv[1]}")
counts: collections.Counter[str] = collections.Counter()
for line in reports[-1].read_text().splitlines():
    event = json.loads(line)
    finished = event.get("ScenarioFinished")
    if not finished:
        continue
    recorder = finished.get("recorder") or {}
    label = recorder.get("label", "?")
    counts[label] += len(recorder.get("interactions") or {})
for label, count in sorted(counts.items()):
    print(f"  {count:6d}  {label}")
print(f"  {sum(counts.values()):6d}  requests in all ({reports[-1].name})")
