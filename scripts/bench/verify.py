"""Checks that the target holds exactly the source's keys: the same key count, the same DUMP
payload for every key, and expiry times (PEXPIRETIME) equal within a tolerance (persistent keys
must stay persistent). Binary-safe, pipelined per SCAN page, source and target queried together.

A DUMP payload is not canonical: a set or hash with the hashtable encoding is serialized in dict
order, and Redis seeds its dict hash per process, so the same set DUMPs differently in two
servers (MIGRATE's copies differ the same way). When two payloads differ, the values are
compared by content (type, encoding, members, fields, scores, stream entries and groups);
only a content difference fails. The count of such order-only differences is reported as
"payloadOrderOnly".

    python3 verify.py --source-port P1 --target-port P2 [--source-cluster] [--target-cluster]
                      [--ttl-tolerance-ms 1000] [--label L]

With --source-cluster (--target-cluster) the port is a seed node of a Redis Cluster: every master
of it is scanned and counted, and each key is read from the master serving its slot.

Prints one JSON object with "ok" and the counts of each kind of difference, and on stderr up to
--examples examples of each kind. Exits 0 when the target matches, 1 when it does not.
"""

import argparse
import json
import sys

from cluster import Masters
from resp import Connection, RespError, encode, scan_pages


class Keyspace:
    """One side of the comparison: a standalone server, or every master of a cluster. Each node has
    a connection for SCAN and one for the pipelined reads."""

    def __init__(self, host, port, cluster):
        if cluster:
            self.masters = Masters(host, port)
            self.nodes = self.masters.nodes
        else:
            self.masters = None
            self.nodes = [(host, port)]
        self.conns = [Connection(h, p) for h, p in self.nodes]

    def count(self):
        return sum(c.call("DBSIZE") for c in self.conns)

    def pages(self, count):
        """Yields the SCAN pages of every node, node after node."""
        for host, port in self.nodes:
            scan = Connection(host, port)
            yield from scan_pages(scan, count)
            scan.close()

    def send(self, keys, build):
        """Sends build(key)'s encoded commands of every key to the node serving the key, to all
        nodes at once; receive() reads the replies."""
        groups = {}
        for i, k in enumerate(keys):
            node = self.masters.index_of(k) if self.masters else 0
            groups.setdefault(node, []).append((i, build(k)))
        for node, items in groups.items():
            self.conns[node].send(*[c for _, cs in items for c in cs])
        return len(keys), groups

    def receive(self, sent):
        """Returns each key's list of replies to what send() sent, in the order of its keys."""
        n, groups = sent
        out = [None] * n
        for node, items in groups.items():
            for i, cs in items:
                out[i] = self.conns[node].read_replies(len(cs))
        return out

    def pipeline(self, keys, build):
        return self.receive(self.send(keys, build))


def show(key):
    return repr(key)[2:-1] if isinstance(key, bytes) else str(key)


def contents(side, keys):
    """Returns a canonical, comparable description of each key's value, read with pipelines."""
    meta = side.pipeline(keys, lambda k: [encode(b"TYPE", k), encode(b"OBJECT", b"ENCODING", k)])
    types = {k: m[0] for k, m in zip(keys, meta)}
    reads = {
        b"string": lambda k: [encode(b"GET", k)],
        b"list": lambda k: [encode(b"LRANGE", k, 0, -1)],
        b"set": lambda k: [encode(b"SMEMBERS", k)],
        b"zset": lambda k: [encode(b"ZRANGE", k, 0, -1, b"WITHSCORES")],
        b"hash": lambda k: [encode(b"HGETALL", k)],
        b"stream": lambda k: [encode(b"XRANGE", k, b"-", b"+"), encode(b"XINFO", b"STREAM", k),
                              encode(b"XINFO", b"GROUPS", k)],
    }
    values_of = side.pipeline(keys, lambda k: reads.get(types[k], lambda _: [])(k))
    out = []
    for (t, e), values in zip(meta, values_of):
        if t in (b"set",):
            values = [sorted(values[0])]
        elif t == b"hash":
            flat = values[0]
            values = [sorted(zip(flat[0::2], flat[1::2]))]
        out.append((t, e, repr(values)))
    return out


def brief(value):
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--source-port", type=int, required=True)
    p.add_argument("--target-port", type=int, required=True)
    p.add_argument("--source-cluster", action="store_true", help="the source port is a node of a Redis Cluster")
    p.add_argument("--target-cluster", action="store_true", help="the target port is a node of a Redis Cluster")
    p.add_argument("--ttl-tolerance-ms", type=int, default=1000)
    p.add_argument("--examples", type=int, default=10)
    p.add_argument("--label", default="")
    a = p.parse_args()

    src = Keyspace(a.host, a.source_port, a.source_cluster)
    dst = Keyspace(a.host, a.target_port, a.target_cluster)
    source_count = src.count()
    target_count = dst.count()

    seen = set()  # keys already checked: SCAN may return a key twice
    diffs = {"missing": [], "payload": [], "ttl": [], "errors": []}
    counts = {k: 0 for k in diffs}
    order_only = 0
    deltas = []  # target PEXPIRETIME - source PEXPIRETIME of every volatile key, in ms

    def note(kind, text):
        counts[kind] += 1
        if len(diffs[kind]) < a.examples:
            diffs[kind].append(text)

    def dump(k):
        return [encode(b"DUMP", k), encode(b"PEXPIRETIME", k)]

    for page in src.pages(1000):
        page = [k for k in page if k not in seen]
        seen.update(page)
        s_sent, t_sent = src.send(page, dump), dst.send(page, dump)  # both sides at work at once
        s, t = src.receive(s_sent), dst.receive(t_sent)
        reordered = []
        for k, (s_dump, s_exp), (t_dump, t_exp) in zip(page, s, t):
            if any(isinstance(r, RespError) for r in (s_dump, s_exp, t_dump, t_exp)):
                note("errors", "%s: %s" % (show(k), [str(r) for r in (s_dump, s_exp, t_dump, t_exp)]))
            elif s_dump is None:
                continue  # gone from the source since SCAN (should not happen: TTLs are hours)
            elif t_dump is None:
                note("missing", show(k))
            else:
                if s_dump != t_dump:
                    reordered.append(k)
                if (s_exp < 0 or t_exp < 0) and s_exp != t_exp:
                    note("ttl", "%s: source PEXPIRETIME %d, target %d" % (show(k), s_exp, t_exp))
                elif s_exp >= 0:
                    deltas.append(t_exp - s_exp)
                    if abs(t_exp - s_exp) > a.ttl_tolerance_ms:
                        note("ttl", "%s: source PEXPIRETIME %d, target %d (%+d ms)" % (show(k), s_exp, t_exp, t_exp - s_exp))
        if reordered:
            s_vals = contents(src, reordered)
            t_vals = contents(dst, reordered)
            for k, sv, tv in zip(reordered, s_vals, t_vals):
                if sv == tv:
                    order_only += 1
                else:
                    note("payload", "%s: DUMP and content differ: source %s, target %s" % (show(k), brief(sv), brief(tv)))

    # Keys in the target that the source does not have (only looked for when the counts say so).
    extra = []
    extra_count = 0
    if target_count != source_count or counts["missing"]:
        for page in dst.pages(1000):
            for k, (e,) in zip(page, src.pipeline(page, lambda k: [encode(b"EXISTS", k)])):
                if e == 0:
                    extra_count += 1
                    if len(extra) < a.examples:
                        extra.append(show(k))

    deltas.sort()
    ok = source_count == target_count and not extra_count and not any(counts.values())
    result = {
        "label": a.label,
        "ok": ok,
        "sourceKeys": source_count,
        "targetKeys": target_count,
        "checked": len(seen),
        "missing": counts["missing"],
        "extra": extra_count,
        "payloadDiffers": counts["payload"],
        "payloadOrderOnly": order_only,
        "ttlDiffers": counts["ttl"],
        "errors": counts["errors"],
        "volatileKeys": len(deltas),
        # target expiry minus source expiry, ms: min / median / 99th percentile / max
        "ttlDeltaMs": [deltas[0], deltas[len(deltas) // 2], deltas[len(deltas) * 99 // 100], deltas[-1]] if deltas else [],
    }
    print(json.dumps(result))
    if not ok:
        print("verification %s FAILED: %s" % (a.label, json.dumps(result)), file=sys.stderr)
        for kind, examples in list(diffs.items()) + [("extra", extra)]:
            for text in examples:
                print("  %s: %s" % (kind, text), file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
