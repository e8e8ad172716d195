"""Loads dataset.py's dataset into a Redis Cluster: each key's commands go to the master serving
its slot, through one `redis-cli --pipe` per master, all fed at once by this process.

    python3 load_cluster.py --port SEED_PORT --keys N [--seed S] [--ttl-share 0.3] [--redis-cli PATH]

The keys, values and TTLs are those of `dataset.py` with the same arguments (the same commands,
routed). Prints one JSON object {"masters": [{"node", "keys"}...]} with the keys sent to each
master; exits 1 when a redis-cli failed or reported errors (its output is then on stderr).
"""

import argparse
import json
import subprocess
import sys
import tempfile

import dataset
from cluster import Masters, slot


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset.add_arguments(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--redis-cli", default="redis-cli")
    a = p.parse_args()
    dataset.check_arguments(p, a)

    masters = Masters(a.host, a.port)
    pipes = []
    for host, port in masters.nodes:
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen([a.redis_cli, "-h", host, "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                                stdout=log, stderr=subprocess.STDOUT)
        pipes.append((proc, log))
    batches = [[] for _ in masters.nodes]
    sent = [0] * len(masters.nodes)
    owner = masters.owner
    for key, cmds in dataset.keyed_commands(a.keys, a.seed, a.ttl_share):
        i = owner[slot(key)]
        batch = batches[i]
        batch.extend(cmds)
        sent[i] += 1
        if len(batch) >= 5000:
            pipes[i][0].stdin.write(b"".join(batch))
            batch.clear()

    for (proc, _), batch in zip(pipes, batches):
        proc.stdin.write(b"".join(batch))
        proc.stdin.close()
    failed = False
    for (proc, log), (host, port) in zip(pipes, masters.nodes):
        code = proc.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
        if code != 0 or "errors: 0," not in output:
            failed = True
            print("redis-cli --pipe to %s:%d (exit %d): %s" % (host, port, code, output[-2000:]), file=sys.stderr)
    print(json.dumps({"masters": [{"node": "%s:%d" % node, "keys": n} for node, n in zip(masters.nodes, sent)]}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
