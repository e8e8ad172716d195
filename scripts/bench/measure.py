"""Runs a command and writes its wall time, peak RSS and CPU time as one JSON object, like
`/usr/bin/time -f` does; the fallback of bench.sh where GNU time is not installed.

    python3 measure.py OUTPUT_FILE COMMAND [ARG...]

Peak RSS and CPU seconds come from the child's rusage (os.wait4), i.e. the same numbers GNU
time reports. Exits with the command's exit status.
"""

import json
import os
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    output, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code
    with open(output, "w") as f:
        json.dump({"wallSeconds": round(wall, 2), "rssKb": usage.ru_maxrss, "userSeconds": round(usage.ru_utime, 2),
                   "sysSeconds": round(usage.ru_stime, 2), "exitCode": code}, f)
        f.write("\n")
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
