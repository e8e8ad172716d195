#!/usr/bin/env bash
# keyferry demo: builds the jar, starts two local Redis servers on free loopback ports, loads
# sample data of every type (some with TTLs, some with binary names) into the first, copies it
# into the second with keyferry, prints the summary, and stops the servers it started.
#
#   scripts/demo.sh [KEYS]     (default 20000 keys)
set -euo pipefail
cd "$(dirname "$0")/.."

keys="${1:-20000}"
scripts/install-redis.sh
command -v redis-cli >/dev/null || { echo "error: redis-cli is missing" >&2; echo "hint: apt-get install redis-tools" >&2; exit 1; }

if [ ! -f target/keyferry.jar ] || [ -n "$(find src pom.xml -newer target/keyferry.jar -print -quit)" ]; then
	echo "building target/keyferry.jar ..." >&2
	./mvnw -q -B -DskipTests package
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/keyferry-demo.XXXXXX")"
export KEYFERRY_DEV_REDIS_FILE="$work/servers.env"
export KEYFERRY_HOME="$work/home"
cleanup() { scripts/dev-redis.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
scripts/dev-redis.sh start 2 >&2
# shellcheck disable=SC1090
. "$KEYFERRY_DEV_REDIS_FILE"
source_port="${REDIS_URI_1##*:}"

echo "loading $keys sample keys into $REDIS_URI_1 ..." >&2
awk -v n="$keys" 'function cmd(a, i, s) { s = "*" length(a) "\r\n"; for (i = 1; i <= length(a); i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"; printf "%s", s }
BEGIN {
	srand(42)
	for (i = 0; i < n; i++) {
		t = i % 6; delete a
		if (t == 0) { a[1] = "SET"; a[2] = "demo:string:" i; a[3] = sprintf("%0" (20 + i % 200) "d", i) }
		else if (t == 1) { a[1] = "HSET"; a[2] = "demo:hash:" i; a[3] = "name"; a[4] = "n" i; a[5] = "count"; a[6] = i }
		else if (t == 2) { a[1] = "RPUSH"; a[2] = "demo:list:" i; a[3] = "a"; a[4] = "b"; a[5] = i }
		else if (t == 3) { a[1] = "SADD"; a[2] = "demo:set:" i; a[3] = "x"; a[4] = "y"; a[5] = i }
		else if (t == 4) { a[1] = "ZADD"; a[2] = "demo:zset:" i; a[3] = 1; a[4] = "one"; a[5] = 2; a[6] = "two" }
		else { a[1] = "XADD"; a[2] = "demo:stream:" i; a[3] = "*"; a[4] = "field"; a[5] = i }
		cmd(a)
		if (i % 3 == 0) { delete a; a[1] = "PEXPIRE"; a[2] = (t == 0 ? "demo:string:" : t == 1 ? "demo:hash:" : t == 2 ? "demo:list:" : t == 3 ? "demo:set:" : t == 4 ? "demo:zset:" : "demo:stream:") i; a[3] = 3600000 + i; cmd(a) }
	}
}' | redis-cli -p "$source_port" --pipe >/dev/null
printf 'SET "demo:bin:\\x00\\xff" binary\n' | redis-cli -p "$source_port" >/dev/null

echo "copying $REDIS_URI_1 -> $REDIS_URI_2 (job repository in $KEYFERRY_HOME) ..." >&2
scripts/keyferry copy --source "$REDIS_URI_1" --target "$REDIS_URI_2" --progress-interval 1s
echo >&2
echo "the same command again: a completed run is not resumed, it starts run #2 (JSON summary):" >&2
scripts/keyferry copy --source "$REDIS_URI_1" --target "$REDIS_URI_2" --progress off --json
echo >&2
scripts/keyferry history
