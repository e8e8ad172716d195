"""Writes a reproducible mixed Redis dataset as raw RESP to stdout, for `redis-cli --pipe`.

    python3 dataset.py --keys N [--seed S] [--ttl-share 0.3]

Exactly N keys: a few with binary names (bytes 0x00, 0xff, newline, CR, non-UTF-8), the rest
named k:<type>:<n>. About 55% strings of 20-500 bytes, 15% hashes, 8% lists, 8% sets (half
integer sets), 8% sorted sets, 6% streams (a fifth with a consumer group); about 1% of the
collections are large enough to leave the compact encodings. About 30% get a PEXPIRE of 1-6 hours,
long enough not to expire during a benchmark. The same seed gives the same keys, values and TTL
lengths (the absolute expiry times depend on when the data is loaded).
"""

import argparse
import random
import sys

from resp import encode

BINARY_KEYS = [
    (b"bin:\x00nul", "string"),
    (b"bin:\xff\xfe\xfd", "string"),
    (b"bin:new\nline", "string"),
    (b"bin:cr\r\nlf", "hash"),
    (b"\x00", "string"),
    (b"bin:\x00\xff\n:set", "set"),
    (b"bin:latin1:\xe9t\xe9", "list"),
    (b"bin: spaces and \"quotes\"", "zset"),
    (b"bin:\xff\nstream", "stream"),
]

TYPES = ["string", "hash", "list", "set", "zset", "stream"]
WEIGHTS = [55, 15, 8, 8, 8, 6]


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        # Text-like values: words from a small vocabulary, so that they compress a little, as
        # real JSON or session data does. Values are slices of this pool.
        words = [
            "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(self.rng.randint(2, 10)))
            for _ in range(512)
        ]
        text = []
        size = 0
        while size < (1 << 20):
            w = self.rng.choice(words)
            text.append(w)
            size += len(w) + 1
        self.pool = " ".join(text).encode()
        self.pool_limit = len(self.pool) - 600

    def blob(self, low, high):
        n = self.rng.randint(low, high)
        off = self.rng.randrange(self.pool_limit)
        return self.pool[off:off + n]

    def size(self, small_max, large_low, large_high):
        if self.rng.random() < 0.01:
            return self.rng.randint(large_low, large_high)
        return self.rng.randint(1, small_max)

    def commands(self, key, kind):
        """Returns the encoded commands that create `key` as a `kind`."""
        if kind == "string":
            return [encode(b"SET", key, self.blob(20, 500))]
        if kind == "hash":
            n = self.size(20, 200, 600)
            args = [b"HSET", key]
            for j in range(n):
                args += (b"f%d" % j, self.blob(5, 60))
            return [encode(*args)]
        if kind == "list":
            n = self.size(30, 200, 600)
            return [encode(b"RPUSH", key, *[self.blob(5, 60) for _ in range(n)])]
        if kind == "set":
            n = self.size(20, 200, 600)
            if self.rng.random() < 0.5:
                members = [b"%d" % self.rng.randrange(1 << 40) for _ in range(n)]
            else:
                members = [self.blob(5, 40) for _ in range(n)]
            return [encode(b"SADD", key, *members)]
        if kind == "zset":
            n = self.size(20, 200, 600)
            args = [b"ZADD", key]
            for _ in range(n):
                args += (b"%.3f" % (self.rng.random() * 1000), self.blob(5, 40))
            return [encode(*args)]
        if kind == "stream":
            n = self.size(8, 100, 300)
            out = []
            for j in range(1, n + 1):
                args = [b"XADD", key, b"1700000000000-%d" % j]
                for f in range(self.rng.randint(1, 4)):
                    args += (b"field%d" % f, self.blob(5, 60))
                out.append(encode(*args))
            if self.rng.random() < 0.2:
                out.append(encode(b"XGROUP", b"CREATE", key, b"group1", b"0"))
            return out
        raise ValueError(kind)

    def ttl(self, share):
        if self.rng.random() < share:
            return self.rng.randint(3_600_000, 21_600_000)
        return None


def keyed_commands(keys, seed=20240601, ttl_share=0.3):
    """Yields (key, [encoded commands]) for each of the dataset's `keys` keys, in order; the
    commands create the key (and set its TTL). Used by main() and by load_cluster.py, which
    routes each key to the master serving its slot: both send the same commands."""
    gen = Generator(seed)

    def one(key, kind):
        cmds = gen.commands(key, kind)
        ms = gen.ttl(ttl_share)
        if ms is not None:
            cmds.append(encode(b"PEXPIRE", key, ms))
        return cmds

    for key, kind in BINARY_KEYS:
        yield key, one(key, kind)
    # Drawn after the binary keys' values: the order of the random draws is the dataset.
    kinds = gen.rng.choices(TYPES, WEIGHTS, k=keys - len(BINARY_KEYS))
    for i, kind in enumerate(kinds):
        key = b"k:%s:%d" % (kind.encode(), i)
        yield key, one(key, kind)


def add_arguments(p):
    p.add_argument("--keys", type=int, required=True)
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--ttl-share", type=float, default=0.3)


def check_arguments(p, a):
    if a.keys < len(BINARY_KEYS) + 1:
        p.error("--keys must be at least %d" % (len(BINARY_KEYS) + 1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    a = p.parse_args()
    check_arguments(p, a)

    out = sys.stdout.buffer
    batch = []
    for _, cmds in keyed_commands(a.keys, a.seed, a.ttl_share):
        batch.extend(cmds)
        if len(batch) >= 10000:
            out.write(b"".join(batch))
            batch.clear()
    out.write(b"".join(batch))
    out.flush()


if __name__ == "__main__":
    main()
