"""A stand-in for `yolo train` in the "Unload & train" test.

Records when it started (unix ms), what samlabel's /health said at that moment
(through the control API, URL and token from the environment the launcher
sets), allocates and touches some memory like a trainer would, prints progress
on stdout and a line on stderr, and writes its record as JSON to argv[1].
"""
import json
import os
import sys
import time
import urllib.request

started_ms = time.time_ns() // 1_000_000
health = None
url, token = os.environ.get("SAMLABEL_URL"), os.environ.get("SAMLABEL_TOKEN")
if url and token:
    request = urllib.request.Request(url + "/health", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as reply:
        health = json.load(reply)

block = bytearray(64 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1

print("epoch 1/2 loss 0.91", flush=True)
print("stand-in: no GPU work here", file=sys.stderr, flush=True)
print("epoch 2/2 loss 0.47", flush=True)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"started_ms": started_ms, "health": health, "allocated_bytes": len(block)}, out)
