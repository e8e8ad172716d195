"""Redis Cluster routing for the benchmark helpers: the slot of a key and the masters serving
the slots, read from CLUSTER SLOTS (Python 3 standard library only).

    python3 cluster.py --port P [--host H]

prints the cluster's masters and their key counts as JSON (a check by hand).
"""

import argparse
import binascii
import json

from resp import Connection

SLOTS = 16384


def slot(key):
    """The slot of a key (bytes): CRC16 (XMODEM, as binascii.crc_hqx computes it) of the key, or of
    its {hash tag} when the braces hold at least one byte, modulo 16384."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return binascii.crc_hqx(key, 0) % SLOTS


class Masters:
    """The masters of a cluster and which one serves each slot, as CLUSTER SLOTS on the seed node
    says. `nodes` lists (host, port) in the order of their first slot; `owner[slot]` is an index
    into it. Fails when a slot has no master (the cluster is not fully set up)."""

    def __init__(self, host, port):
        seed = Connection(host, port)
        ranges = seed.call("CLUSTER", "SLOTS")
        seed.close()
        index = {}
        self.nodes = []
        self.owner = [None] * SLOTS
        for start, end, master, *_ in sorted(ranges, key=lambda r: r[0]):
            announced = master[0].decode() if master[0] else ""
            node = (announced if announced not in ("", "?") else host, int(master[1]))
            if node not in index:
                index[node] = len(self.nodes)
                self.nodes.append(node)
            for s in range(start, end + 1):
                self.owner[s] = index[node]
        missing = self.owner.count(None)
        if missing:
            raise SystemExit("cluster at %s:%d: %d slots have no master" % (host, port, missing))

    def index_of(self, key):
        return self.owner[slot(key)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    masters = Masters(a.host, a.port)
    out = []
    for i, (host, port) in enumerate(masters.nodes):
        conn = Connection(host, port)
        out.append({"node": "%s:%d" % (host, port), "slots": masters.owner.count(i), "keys": conn.call("DBSIZE")})
        conn.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
