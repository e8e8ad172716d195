"""The MIGRATE baseline: copies every key of the source to the target with MIGRATE, one
`MIGRATE host port "" 0 timeout COPY REPLACE KEYS k1 ... kN` per SCAN page (COUNT 1000).

    python3 migrate.py --source-port P1 --target-port P2 [--count 1000] [--timeout-ms 60000]

Prints one JSON object: {"seconds": wall time from the first SCAN to the last reply,
"keys": keys sent (SCAN may return a key twice), "pages": MIGRATE calls}.
"""

import argparse
import json
import time

from resp import Connection, scan_pages


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--source-port", type=int, required=True)
    p.add_argument("--target-port", type=int, required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--timeout-ms", type=int, default=60000)
    a = p.parse_args()

    src = Connection(a.host, a.source_port)
    keys = pages = 0
    started = time.perf_counter()
    for page in scan_pages(src, a.count):
        reply = src.call("MIGRATE", a.host, a.target_port, "", 0, a.timeout_ms, "COPY", "REPLACE", "KEYS", *page)
        if reply not in (b"OK", b"NOKEY"):
            raise SystemExit("MIGRATE replied %r" % reply)
        keys += len(page)
        pages += 1
    seconds = time.perf_counter() - started
    src.close()
    print(json.dumps({"seconds": round(seconds, 3), "keys": keys, "pages": pages}))


if __name__ == "__main__":
    main()
