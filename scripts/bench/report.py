"""Summarizes the rounds of a bench.sh run as a table.

    python3 report.py RESULTS_DIR

RESULTS_DIR holds one directory per round (round-1, round-2, ...) with:
  migrate.json          {"seconds", "keys", "pages"} from migrate.py
  migrate-verify.json   verify.py's result for MIGRATE's copy (optional: a control of the checker)
  keyferry.json         keyferry's --json summary (stdout)
  keyferry-time.json    {"wallSeconds", "rssKb", "userSeconds", "sysSeconds", "exitCode"}
  keyferry-verify.json  verify.py's result for keyferry's copy
  migrate-redis-cpu, keyferry-redis-cpu   CPU seconds both redis-servers used during each copy
and RESULTS_DIR/keys holds the source's key count. With --cluster, RESULTS_DIR/cluster holds the
number of masters of each cluster and every round also has cluster-keyferry.json,
cluster-keyferry-time.json, cluster-keyferry-verify.json and cluster-keyferry-redis-cpu (keyferry's
copy between the clusters); the table then gets keyferry's cluster rows and a "vs standalone"
column (cluster keys/s over standalone keys/s). Exits 1 when a keyferry run failed, its counts
do not add up, or any verification failed.
"""

import glob
import json
import os
import statistics
import sys


def load(path):
    """Reads the JSON object on the last non-empty line of a file (GNU time may put a
    "Command exited with non-zero status" line first); None when missing or not JSON."""
    try:
        with open(path) as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def fmt_int(x):
    return "-" if x is None else "{:,.0f}".format(x)


def fmt(x, digits=2):
    return "-" if x is None else "{:.{}f}".format(x, digits)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def number(path):
    try:
        with open(path) as f:
            return float(f.read())
    except (OSError, ValueError):
        return None


def keyferry_round(d, n, name, what, keys, row, prefix, problems):
    """Reads one keyferry copy's files ({name}.json, {name}-time.json, {name}-verify.json,
    {name}-redis-cpu) of round directory d into row, under keys starting with prefix, and notes
    what went wrong in problems ("round N: {what} ...")."""
    kf = load(os.path.join(d, name + ".json"))
    kf_time = load(os.path.join(d, name + "-time.json"))
    kf_verify = load(os.path.join(d, name + "-verify.json"))
    row[prefix + "kf_verify"] = kf_verify
    row[prefix + "kf_redis_cpu"] = number(os.path.join(d, name + "-redis-cpu"))
    if kf_time:
        row[prefix + "kf_wall_kps"] = keys / kf_time["wallSeconds"] if kf_time["wallSeconds"] else None
        row[prefix + "kf_wall"] = kf_time["wallSeconds"]
        row[prefix + "rss_mb"] = kf_time["rssKb"] / 1024
        row[prefix + "cpu"] = kf_time["userSeconds"] + kf_time["sysSeconds"]
        row[prefix + "user"], row[prefix + "sys"] = kf_time["userSeconds"], kf_time["sysSeconds"]
        if kf_time["exitCode"] != 0:
            problems.append("round %d: %s exited with %s" % (n, what, kf_time["exitCode"]))
    else:
        problems.append("round %d: %s was not measured" % (n, what))
    if kf:
        row[prefix + "kf_job_kps"] = kf.get("keysPerSecond")
        row[prefix + "kf_job_s"] = kf.get("durationMs", 0) / 1000
        row[prefix + "read"], row[prefix + "written"] = kf.get("read"), kf.get("written")
        row[prefix + "filtered"], row[prefix + "skipped"] = kf.get("filtered"), kf.get("skippedTotal")
        if kf.get("status") != "COMPLETED":
            problems.append("round %d: %s status %s" % (n, what, kf.get("status")))
        if kf.get("read") != kf.get("written", 0) + kf.get("filtered", 0) + kf.get("skippedTotal", 0):
            problems.append("round %d: %s counts do not add up: read %s != written %s + filtered %s + skipped %s"
                            % (n, what, kf.get("read"), kf.get("written"), kf.get("filtered"), kf.get("skippedTotal")))
    else:
        problems.append("round %d: %s printed no JSON summary" % (n, what))
    if not kf_verify or not kf_verify.get("ok"):
        problems.append("round %d: verification of %s's copy FAILED: %s" % (n, what, json.dumps(kf_verify)))


def main():
    results = sys.argv[1]
    with open(os.path.join(results, "keys")) as f:
        keys = int(f.read())
    masters = None
    if os.path.exists(os.path.join(results, "cluster")):
        with open(os.path.join(results, "cluster")) as f:
            masters = int(f.read())
    rounds = sorted(glob.glob(os.path.join(results, "round-*")), key=lambda d: int(d.rsplit("-", 1)[1]))

    rows = []
    problems = []
    for d in rounds:
        n = int(d.rsplit("-", 1)[1])
        mig = load(os.path.join(d, "migrate.json"))
        mig_verify = load(os.path.join(d, "migrate-verify.json"))
        row = {"round": n, "migrate_kps": keys / mig["seconds"] if mig else None, "mig_verify": mig_verify,
               "mig_redis_cpu": number(os.path.join(d, "migrate-redis-cpu"))}
        if not mig:
            problems.append("round %d: MIGRATE baseline did not finish" % n)
        keyferry_round(d, n, "keyferry", "keyferry", keys, row, "", problems)
        if mig_verify is not None and not mig_verify.get("ok"):
            problems.append("round %d: verification of MIGRATE's copy FAILED (the checker or the data is at fault): %s"
                            % (n, json.dumps(mig_verify)))
        if masters:
            keyferry_round(d, n, "cluster-keyferry", "keyferry cluster", keys, row, "c_", problems)
        rows.append(row)

    def col(name):
        return [r.get(name) for r in rows]

    def per_round(name):
        return " / ".join(fmt_int(v) for v in col(name))

    mig_kps, wall_kps, job_kps = median(col("migrate_kps")), median(col("kf_wall_kps")), median(col("kf_job_kps"))

    def ratio(x, to=None):
        to = mig_kps if to is None else to
        return "-" if x is None or not to else "%.2fx" % (x / to)

    def verified(name):
        checks = [r[name] for r in rows if r.get(name) is not None]
        expected = len(rows) if name.endswith("kf_verify") else len(checks)
        passed = sum(1 for c in checks if c.get("ok"))
        return "%d/%d passed" % (passed, expected) if expected else "not checked"

    def cpu(prefix):
        return "%s (%s+%s)" % (fmt(median(col(prefix + "cpu")), 1), fmt(median(col(prefix + "user")), 1),
                               fmt(median(col(prefix + "sys")), 1))

    table = [
        ("tool", "keys/s median", "keys/s per round", "vs MIGRATE", "peak RSS MB", "CPU s (user+sys)",
         "redis CPU s", "verified"),
        ("MIGRATE COPY REPLACE, 1 per SCAN page", fmt_int(mig_kps), per_round("migrate_kps"), "1.00x", "-", "-",
         fmt(median(col("mig_redis_cpu")), 1), verified("mig_verify")),
        ("keyferry, wall clock (JVM start to exit)", fmt_int(wall_kps), per_round("kf_wall_kps"), ratio(wall_kps),
         fmt(median(col("rss_mb")), 0), cpu(""), fmt(median(col("kf_redis_cpu")), 1), verified("kf_verify")),
        ("keyferry, its own keysPerSecond (job only)", fmt_int(job_kps), per_round("kf_job_kps"), ratio(job_kps),
         "", "", "", ""),
    ]
    if masters:
        # A "vs standalone" column: each cluster row's keys/s over the standalone row above it.
        c_wall_kps, c_job_kps = median(col("c_kf_wall_kps")), median(col("c_kf_job_kps"))
        shape = "cluster %d -> %d masters" % (masters, masters)
        standalone = ["vs standalone", "-", "1.00x", "1.00x"]
        table = [r[:4] + (v,) + r[4:] for r, v in zip(table, standalone)]
        table += [
            ("MIGRATE, " + shape, "n/a", "n/a", "n/a", "n/a", "-", "-", "-", "n/a"),
            ("keyferry, %s, wall clock" % shape, fmt_int(c_wall_kps), per_round("c_kf_wall_kps"), "n/a",
             ratio(c_wall_kps, wall_kps), fmt(median(col("c_rss_mb")), 0), cpu("c_"),
             fmt(median(col("c_kf_redis_cpu")), 1), verified("c_kf_verify")),
            ("keyferry, %s, job only" % shape, fmt_int(c_job_kps), per_round("c_kf_job_kps"), "n/a",
             ratio(c_job_kps, job_kps), "", "", "", ""),
        ]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if masters:
        print("MIGRATE between two clusters: n/a (it would need per-slot routing, which is not a baseline);"
              " the cluster rows' redis CPU s is all %d cluster nodes'" % (2 * masters))

    print()
    print("per round:")
    for r in rows:
        v = r.get("kf_verify") or {}
        print("  round %d: MIGRATE %s keys/s; keyferry wall %s s (job %s s), read %s written %s filtered %s skipped %s,"
              " RSS %s MB, CPU %s s; TTL delta target-source ms [min, median, p99, max] %s, DUMP order-only diffs %s"
              % (r["round"], fmt_int(r.get("migrate_kps")), fmt(r.get("kf_wall")), fmt(r.get("kf_job_s")),
                 r.get("read"), r.get("written"), r.get("filtered"), r.get("skipped"), fmt(r.get("rss_mb"), 0),
                 fmt(r.get("cpu"), 1), v.get("ttlDeltaMs"), v.get("payloadOrderOnly")))
        m = r.get("mig_verify")
        if m:
            print("           MIGRATE's copy (checker control): ok=%s, TTL delta ms %s, DUMP order-only diffs %s"
                  % (m.get("ok"), m.get("ttlDeltaMs"), m.get("payloadOrderOnly")))
        if masters:
            c = r.get("c_kf_verify") or {}
            print("           cluster: keyferry wall %s s (job %s s), read %s written %s filtered %s skipped %s,"
                  " RSS %s MB, CPU %s s; TTL delta ms %s, DUMP order-only diffs %s"
                  % (fmt(r.get("c_kf_wall")), fmt(r.get("c_kf_job_s")), r.get("c_read"), r.get("c_written"),
                     r.get("c_filtered"), r.get("c_skipped"), fmt(r.get("c_rss_mb"), 0), fmt(r.get("c_cpu"), 1),
                     c.get("ttlDeltaMs"), c.get("payloadOrderOnly")))

    if problems:
        print()
        for p in problems:
            print("FAILED: " + p)
        sys.exit(1)


if __name__ == "__main__":
    main()
