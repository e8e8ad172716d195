#!/usr/bin/env bash
# Side-by-side benchmark: keyferry against MIGRATE, on the same mixed dataset, on this machine.
#
# Starts two fresh redis-server processes on free loopback ports (never the one on 6379), loads a
# reproducible mixed dataset into the source once, then for each round copies it to the target
# with (a) MIGRATE ... COPY REPLACE KEYS, one call per SCAN page, and (b) `keyferry copy` with
# default settings, run by the launcher scripts/keyferry, with a fresh --home, alternating which
# goes first. keyferry's copy is verified against the source after every round (key count, DUMP
# payloads, PEXPIRETIME within 1 s); MIGRATE's copy in round 1, as a control of the checker. Prints a table of medians; exits 1 when
# a keyferry run or a verification failed.
#
# With --cluster N, the same run also starts an N-master source cluster and an N-master target
# cluster (no replicas), loads the same dataset into the source cluster (each key to the master
# serving its slot) and, in every round, copies cluster to cluster with `keyferry copy` too,
# verified the same way over every master; the table gets keyferry's cluster rows and their ratio
# to the standalone copy. MIGRATE has no cluster row: between two clusters it would need per-slot
# routing, which is not a baseline.
#
# Helpers (Python 3 standard library only) live in scripts/bench/.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/bench.sh [--keys N] [--rounds R] [--cluster N] [options]

Benchmarks `keyferry copy` against Redis MIGRATE on two local redis-server processes.

Options:
  --keys N              keys in the source dataset (default 1000000)
  --rounds R            rounds, at least 3 (default 3); the table shows medians
  --seed S              dataset seed (default 20240601): same seed, same data
  --keyferry-args ARGS  extra arguments for `keyferry copy`, split on whitespace,
                        e.g. --keyferry-args "--threads 8 --chunk-size 2000"
  --java-opts OPTS      more JVM options, split on whitespace, e.g. --java-opts "-Xmx1g"
                        (passed as KEYFERRY_JAVA_OPTS to the launcher scripts/keyferry)
  --java-jar            run `java -jar` with the JVM's own defaults instead of the launcher
  --jar PATH            the keyferry jar (default target/keyferry.jar, built when missing);
                        a copy of it is used, so rebuilding during the run is harmless
  --cluster N           also copy between two local Redis Clusters of N masters each (N >= 3,
                        no replicas), in the same rounds: the table adds keyferry's cluster
                        keys/s, CPU and peak RSS and their ratio to the standalone copy
                        (MIGRATE: n/a). Needs 2 x N more redis-servers and memory for two more
                        copies of the dataset.
  --keep                keep the work directory (logs, keyferry homes) after a successful run
  -h, --help            show this message

Environment: REDIS_SERVER and REDIS_CLI choose the Redis binaries (default: from the PATH);
BENCH_GNU_TIME is GNU time (default /usr/bin/time; empty: use the fallback).
Needs: redis-server, redis-cli, python3, java; GNU time when present, otherwise keyferry's
peak RSS and CPU seconds come from its rusage (scripts/bench/measure.py), the same figures.
EOF
}

fail() {
	echo "error: $*" >&2
	exit 2
}

export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in scripts/bench/
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
helpers="$here/bench"
command_line="$(printf '%q ' "$0" "$@")"
command_line="${command_line% }"

keys=1000000
rounds=3
seed=20240601
keyferry_args=""
java_opts=""
jar="$repo/target/keyferry.jar"
keep=0
plain_jar=0
cluster=0
redis_server="${REDIS_SERVER:-redis-server}"
redis_cli="${REDIS_CLI:-redis-cli}"

while [ $# -gt 0 ]; do
	case "$1" in
	--keys) keys="${2:?--keys needs a value}"; shift 2 ;;
	--rounds) rounds="${2:?--rounds needs a value}"; shift 2 ;;
	--seed) seed="${2:?--seed needs a value}"; shift 2 ;;
	--keyferry-args) keyferry_args="${2?--keyferry-args needs a value}"; shift 2 ;;
	--java-opts) java_opts="${2?--java-opts needs a value}"; shift 2 ;;
	--jar) jar="${2:?--jar needs a value}"; shift 2 ;;
	--java-jar) plain_jar=1; shift ;;
	--cluster) cluster="${2:?--cluster needs a value}"; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; fail "unknown argument '$1'" ;;
	esac
done

case "$keys" in '' | *[!0-9]*) fail "--keys must be a number, got '$keys'" ;; esac
case "$rounds" in '' | *[!0-9]*) fail "--rounds must be a number, got '$rounds'" ;; esac
case "$seed" in '' | *[!0-9]*) fail "--seed must be a number, got '$seed'" ;; esac
case "$cluster" in '' | *[!0-9]*) fail "--cluster must be a number of masters, got '$cluster'" ;; esac
[ "$keys" -ge 100 ] || fail "--keys must be at least 100"
[ "$rounds" -ge 3 ] || fail "--rounds must be at least 3 (the table shows medians)"
[ "$cluster" -eq 0 ] || [ "$cluster" -ge 3 ] || fail "--cluster must be at least 3 (a Redis Cluster needs 3 masters)"
read -r -a keyferry_extra <<<"$keyferry_args"
read -r -a java_extra <<<"$java_opts"

for tool in "$redis_server" "$redis_cli" python3 java; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (scripts/install-redis.sh installs Redis)"
done
gnu_time="${BENCH_GNU_TIME-/usr/bin/time}"
if [ -n "$gnu_time" ] && ! { [ -x "$gnu_time" ] && "$gnu_time" --version 2>&1 | grep -q GNU; }; then
	gnu_time=""
fi

# --- cleanup: everything we start is stopped by its PID -----------------------------------------

work="$(mktemp -d "${TMPDIR:-/tmp}/keyferry-bench.XXXXXX")"
redis_pids=()
runner_pid=""
ok=0

cleanup() {
	local pid
	trap - EXIT INT TERM
	if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then
		# The measuring process (GNU time or measure.py) and the JVM under it.
		for pid in $(ps -o pid= --ppid "$runner_pid" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
		kill -TERM "$runner_pid" 2>/dev/null || true
	fi
	for pid in "${redis_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if [ "$ok" -eq 1 ] && [ "$keep" -eq 0 ]; then
		rm -rf "$work"
	else
		echo "work directory kept: $work" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- redis servers --------------------------------------------------------------------------------

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A free port whose cluster bus port (port + 10000) is free too.
free_cluster_port() {
	python3 -c '
import socket
while True:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    if port + 10000 > 65535:
        continue
    bus = socket.socket()
    try:
        bus.bind(("127.0.0.1", port + 10000))
    except OSError:
        continue
    print(port)
    break'
}

# Starts a redis-server in $work/$1 and sets started_port / started_pid; more arguments go to
# redis-server (with --cluster-enabled, its port is chosen with a free bus port).
start_redis() {
	local name="$1" dir="$work/$1" port pid attempt picker=free_port
	shift
	case " $* " in *" --cluster-enabled "*) picker=free_cluster_port ;; esac
	mkdir -p "$dir"
	for attempt in 1 2 3 4 5; do
		port="$($picker)"
		[ "$port" != 6379 ] || continue
		"$redis_server" --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
			--daemonize no --logfile "$dir/redis.log" "$@" &
		pid=$!
		redis_pids+=("$pid")
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			# Ready when the server answering on the port is the process we started.
			if "$redis_cli" -h 127.0.0.1 -p "$port" INFO server 2>/dev/null | tr -d '\r' | grep -qx "process_id:$pid"; then
				started_port="$port"
				started_pid="$pid"
				return 0
			fi
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		echo "redis-server ($name) did not start on port $port (attempt $attempt): $(tail -n 3 "$dir/redis.log" 2>/dev/null)" >&2
	done
	fail "could not start redis-server ($name); logs in $dir"
}

rcli() { "$redis_cli" -h 127.0.0.1 -p "$@"; }

# CPU ticks (user + system) used so far by the redis-servers with the given PIDs (default: the
# standalone source and target), from /proc/PID/stat; cpu_since TICKS [PID...] in seconds.
ticks="$(getconf CLK_TCK)"
redis_cpu() {
	local total=0 pid f
	[ $# -gt 0 ] || set -- "$source_pid" "$target_pid"
	for pid in "$@"; do
		read -r -a f <"/proc/$pid/stat"
		total=$((total + f[13] + f[14]))
	done
	echo "$total"
}
cpu_since() {
	local since="$1"
	shift
	awk -v a="$since" -v b="$(redis_cpu "$@")" -v t="$ticks" 'BEGIN { printf "%.2f\n", (b - a) / t }'
}

start_redis source
source_port=$started_port
source_pid=$started_pid
start_redis target
target_port=$started_port
target_pid=$started_pid

# --- redis clusters (--cluster N) -----------------------------------------------------------------

# Starts $cluster masters in $work/$1/node-1 .. node-N, creates a cluster of them without
# replicas, waits until every node knows every other and all 16384 slots, and sets
# cluster_ports / cluster_pids.
start_cluster() {
	local name="$1" i port nodes=() ready
	cluster_ports=()
	cluster_pids=()
	for i in $(seq 1 "$cluster"); do
		start_redis "$name/node-$i" --cluster-enabled yes --cluster-config-file nodes.conf
		cluster_ports+=("$started_port")
		cluster_pids+=("$started_pid")
		nodes+=("127.0.0.1:$started_port")
	done
	"$redis_cli" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$work/$name/create.log" 2>&1 ||
		fail "redis-cli --cluster create ($name) failed: $(tail -n 5 "$work/$name/create.log")"
	for _ in $(seq 1 300); do
		ready=1
		for port in "${cluster_ports[@]}"; do
			rcli "$port" CLUSTER INFO 2>/dev/null | tr -d '\r' | awk -v n="$cluster" '
				/^cluster_state:/ { ok += ($0 == "cluster_state:ok") }
				/^cluster_slots_assigned:/ { ok += ($0 == "cluster_slots_assigned:16384") }
				/^cluster_known_nodes:/ { ok += ($0 == "cluster_known_nodes:" n) }
				END { exit ok == 3 ? 0 : 1 }' || { ready=0; break; }
		done
		[ "$ready" -eq 0 ] || return 0
		sleep 0.1
	done
	fail "the $name cluster did not settle in 30 s: $(rcli "${cluster_ports[0]}" CLUSTER NODES 2>&1 | head -n "$cluster")"
}

if [ "$cluster" -gt 0 ]; then
	start_cluster source-cluster
	csource_ports=("${cluster_ports[@]}")
	csource_pids=("${cluster_pids[@]}")
	start_cluster target-cluster
	ctarget_ports=("${cluster_ports[@]}")
	ctarget_pids=("${cluster_pids[@]}")
	cluster_all_pids=("${csource_pids[@]}" "${ctarget_pids[@]}")
fi

# --- the jar --------------------------------------------------------------------------------------

if [ ! -f "$jar" ]; then
	echo "building $jar (./mvnw -q -DskipTests package) ..." >&2
	(cd "$repo" && ./mvnw -q -DskipTests package) ||
		fail "the build failed; build it yourself (e.g. ./mvnw -q -o -DskipTests package) and run again"
	[ -f "$jar" ] || fail "the build did not produce $jar"
fi
jar_source="$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")"
jar_built="$(date -r "$jar_source" '+%Y-%m-%d %H:%M:%S')"
# Every round runs this snapshot: a rebuild of target/ during the benchmark (others edit src/)
# would otherwise swap classes under a running JVM or mix two versions in one table.
jar="$work/keyferry.jar"
cp "$jar_source" "$jar"

# --- header ---------------------------------------------------------------------------------------

git_rev="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$repo" status --porcelain -- src pom.xml 2>/dev/null)" ]; then git_rev="$git_rev (src or pom.xml modified)"; fi
# Sets kf_cmd to the keyferry command line with the given --home (and source and target ports,
# by default the standalone servers'): the launcher (scripts/keyferry, keyferry's JVM settings)
# unless --java-jar asks for plain `java -jar` (the JVM's own defaults).
keyferry_command() {
	if [ "$plain_jar" -eq 1 ]; then
		kf_cmd=(java "${java_extra[@]}" -jar "$jar")
	else
		kf_cmd=(env KEYFERRY_JAR="$jar" KEYFERRY_JAVA_OPTS="$java_opts" "$repo/scripts/keyferry")
	fi
	kf_cmd+=(copy --source "redis://127.0.0.1:${2:-$source_port}" --target "redis://127.0.0.1:${3:-$target_port}"
		--home "$1" --json --progress off "${keyferry_extra[@]}")
}
if [ "$cluster" -gt 0 ]; then
	keyferry_command "$work/round-N/cluster-home" "${csource_ports[0]}" "${ctarget_ports[0]}"
	kf_cluster_line="$(printf '%q ' "${kf_cmd[@]}")(run in round-N/)"
fi
keyferry_command "$work/round-N/home"

echo "== keyferry benchmark"
echo "command:   $command_line"
echo "keys:      $keys (seed $seed)"
echo "rounds:    $rounds"
echo "nproc:     $(nproc)"
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "redis:     $("$redis_server" --version | cut -d' ' -f3) (source :$source_port pid $source_pid, target :$target_port pid $target_pid)"
echo "java:      $(java -version 2>&1 | head -n 1)"
echo "jar:       $jar_source ($jar_built, git $git_rev, sha256 $(sha256sum "$jar" | cut -c1-12)), copied to the work dir"
echo "keyferry:  $(printf '%q ' "${kf_cmd[@]}")(run in round-N/)"
echo "MIGRATE:   MIGRATE 127.0.0.1 $target_port \"\" 0 60000 COPY REPLACE KEYS <each SCAN COUNT 1000 page>"
if [ "$cluster" -gt 0 ]; then
	echo "clusters:  $cluster masters each, no replicas: source :${csource_ports[*]} (pids ${csource_pids[*]})," \
		"target :${ctarget_ports[*]} (pids ${ctarget_pids[*]})"
	echo "cluster:   $kf_cluster_line"
	echo "           MIGRATE: n/a (between two clusters it would need per-slot routing, which is not a baseline)"
fi
echo "measured:  ${gnu_time:-rusage via scripts/bench/measure.py (no GNU time)}"
echo "work dir:  $work"
echo

# --- dataset --------------------------------------------------------------------------------------

cluster_dbsize() {
	local total=0 port
	for port in "$@"; do total=$((total + $(rcli "$port" DBSIZE))); done
	echo "$total"
}

echo "loading $keys keys into the source ..."
load_started=$(date +%s.%N)
python3 "$helpers/dataset.py" --keys "$keys" --seed "$seed" | rcli "$source_port" --pipe >"$work/load.log" 2>&1 ||
	fail "loading failed: $(tail -n 5 "$work/load.log")"
grep -q "errors: 0," "$work/load.log" || fail "redis-cli --pipe reported errors: $(tail -n 3 "$work/load.log")"
loaded="$(rcli "$source_port" DBSIZE)"
[ "$loaded" = "$keys" ] || fail "the source holds $loaded keys after loading, expected $keys"
echo "$loaded" >"$work/keys"
echo "loaded $loaded keys in $(awk -v s="$load_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s;" \
	"source used_memory $(rcli "$source_port" INFO memory | tr -d '\r' | sed -n 's/^used_memory_human://p')," \
	"$(rcli "$source_port" INFO keyspace | tr -d '\r' | sed -n 's/^db0://p')"
if [ "$cluster" -gt 0 ]; then
	load_started=$(date +%s.%N)
	python3 "$helpers/load_cluster.py" --port "${csource_ports[0]}" --keys "$keys" --seed "$seed" \
		--redis-cli "$redis_cli" >"$work/cluster-load.json" 2>"$work/cluster-load.err" ||
		fail "loading the source cluster failed: $(tail -n 5 "$work/cluster-load.err")"
	loaded="$(cluster_dbsize "${csource_ports[@]}")"
	[ "$loaded" = "$keys" ] || fail "the source cluster holds $loaded keys after loading, expected $keys"
	echo "$cluster" >"$work/cluster"
	echo "loaded $loaded keys into the source cluster in" \
		"$(awk -v s="$load_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s; per master:" \
		"$(for port in "${csource_ports[@]}"; do printf ':%s %s keys, ' "$port" "$(rcli "$port" DBSIZE)"; done | sed 's/, $//')"
fi
echo

# --- the two tools --------------------------------------------------------------------------------

flush_target() {
	rcli "$target_port" FLUSHALL >/dev/null
	[ "$(rcli "$target_port" DBSIZE)" = 0 ] || fail "the target is not empty after FLUSHALL"
}

run_migrate() {
	local dir="$1" round="$2" cpu0
	flush_target
	cpu0="$(redis_cpu)"
	python3 "$helpers/migrate.py" --source-port "$source_port" --target-port "$target_port" >"$dir/migrate.json" ||
		fail "the MIGRATE baseline failed in round $round"
	cpu_since "$cpu0" >"$dir/migrate-redis-cpu"
	echo "  MIGRATE:  $(cat "$dir/migrate.json"), redis CPU $(cat "$dir/migrate-redis-cpu") s"
	if [ "$round" = 1 ]; then
		python3 "$helpers/verify.py" --source-port "$source_port" --target-port "$target_port" \
			--label "MIGRATE round $round" >"$dir/migrate-verify.json" || true
		echo "            verify (control): $(cat "$dir/migrate-verify.json")"
	fi
}

flush_cluster_target() {
	local port
	for port in "${ctarget_ports[@]}"; do rcli "$port" FLUSHALL >/dev/null; done
	[ "$(cluster_dbsize "${ctarget_ports[@]}")" = 0 ] || fail "the target cluster is not empty after FLUSHALL"
}

# run_keyferry DIR ROUND [cluster]: one measured `keyferry copy`, standalone to standalone, or
# with "cluster" between the two clusters (files cluster-keyferry*), then its verification.
run_keyferry() {
	local dir="$1" round="$2" mode="${3:-standalone}" status=0 cpu0 name=keyferry label="  keyferry: "
	local pids=("$source_pid" "$target_pid") verify=(--source-port "$source_port" --target-port "$target_port")
	if [ "$mode" = cluster ]; then
		name=cluster-keyferry
		label="  cluster:  keyferry "
		pids=("${cluster_all_pids[@]}")
		verify=(--source-port "${csource_ports[0]}" --source-cluster --target-port "${ctarget_ports[0]}" --target-cluster)
		flush_cluster_target
		# a fresh home: a new H2 job repository each round
		keyferry_command "$dir/cluster-home" "${csource_ports[0]}" "${ctarget_ports[0]}"
	else
		flush_target
		keyferry_command "$dir/home" # a fresh home: a new H2 job repository each round
	fi
	cpu0="$(redis_cpu "${pids[@]}")"
	if [ -n "$gnu_time" ]; then
		(cd "$dir" && exec "$gnu_time" -o "$dir/$name-time.json" \
			-f '{"wallSeconds": %e, "rssKb": %M, "userSeconds": %U, "sysSeconds": %S, "exitCode": %x}' \
			"${kf_cmd[@]}" >"$dir/$name.json" 2>"$dir/$name.err") &
	else
		(cd "$dir" && exec python3 "$helpers/measure.py" "$dir/$name-time.json" \
			"${kf_cmd[@]}" >"$dir/$name.json" 2>"$dir/$name.err") &
	fi
	runner_pid=$!
	wait "$runner_pid" || status=$?
	runner_pid=""
	cpu_since "$cpu0" "${pids[@]}" >"$dir/$name-redis-cpu"
	echo "${label}exit $status, $(tail -n 1 "$dir/$name-time.json" 2>/dev/null), redis CPU $(cat "$dir/$name-redis-cpu") s"
	echo "            $(cat "$dir/$name.json")"
	if [ "$status" -ne 0 ]; then
		echo "            stderr: $(tail -n 5 "$dir/$name.err")"
	fi
	python3 "$helpers/verify.py" "${verify[@]}" \
		--label "$name round $round" >"$dir/$name-verify.json" 2>"$dir/$name-verify.err" || true
	echo "            verify: $(cat "$dir/$name-verify.json")"
	if [ -s "$dir/$name-verify.err" ]; then sed 's/^/            /' "$dir/$name-verify.err"; fi
}

# The launcher's first copy extracts the jar and records its class-data archive (see
# scripts/keyferry), once per jar and Java; every later copy starts from it. The rounds measure
# those later copies: an untimed warm-up copies 1,000 keys between databases 1 of both servers
# first, with the launcher's cache in the work directory.
export KEYFERRY_CACHE="$work/launcher-cache"
if [ "$plain_jar" -eq 0 ]; then
	printf 'SET bench:warm-up:%d x\n' $(seq 1 1000) | rcli "$source_port" -n 1 >/dev/null
	warm_up_started=$(date +%s.%N)
	env KEYFERRY_JAR="$jar" KEYFERRY_JAVA_OPTS="$java_opts" "$repo/scripts/keyferry" copy \
		--source "redis://127.0.0.1:$source_port/1" --target "redis://127.0.0.1:$target_port/1" \
		--home "$work/warm-up-home" --json --progress off >"$work/warm-up.json" 2>"$work/warm-up.err" ||
		fail "the warm-up copy failed: $(tail -n 3 "$work/warm-up.err")"
	rcli "$source_port" -n 1 FLUSHDB >/dev/null
	rcli "$target_port" -n 1 FLUSHDB >/dev/null
	echo "warm-up:   first launcher copy (1,000 keys; extracts the jar, records the class-data archive):" \
		"$(awk -v s="$warm_up_started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
	echo
fi

bench_started=$(date +%s)
for round in $(seq 1 "$rounds"); do
	dir="$work/round-$round"
	mkdir -p "$dir"
	echo "round $round/$rounds"
	# Alternating which goes first; the cluster copy runs last in odd rounds and first in even ones.
	if [ $((round % 2)) -eq 1 ]; then
		run_migrate "$dir" "$round"
		run_keyferry "$dir" "$round"
		[ "$cluster" -eq 0 ] || run_keyferry "$dir" "$round" cluster
	else
		[ "$cluster" -eq 0 ] || run_keyferry "$dir" "$round" cluster
		run_keyferry "$dir" "$round"
		run_migrate "$dir" "$round"
	fi
done
echo
echo "rounds took $(($(date +%s) - bench_started)) s; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- report ---------------------------------------------------------------------------------------

status=0
python3 "$helpers/report.py" "$work" || status=$?
if [ "$status" -eq 0 ]; then
	ok=1
fi
exit "$status"
