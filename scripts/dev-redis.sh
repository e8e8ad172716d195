#!/usr/bin/env bash
# Local Redis servers for demos and manual runs, never the system one on 6379.
#
#   scripts/dev-redis.sh [start] [N]   start N (default 2) redis-server processes on free loopback
#                                      ports, each in its own directory under one temp dir; print
#                                      their URIs and PIDs and write them to the state file
#   scripts/dev-redis.sh stop          stop the processes listed in the state file, by PID
#   scripts/dev-redis.sh status        show the state file
#
# The state file (default ${TMPDIR:-/tmp}/keyferry-dev-redis-$UID.env, override with
# KEYFERRY_DEV_REDIS_FILE) can be sourced: REDIS_COUNT, REDIS_DIR, REDIS_URI_1, REDIS_PID_1, ...
# The binary is $KEYFERRY_REDIS_SERVER, else redis-server on the PATH.
set -euo pipefail

state_file="${KEYFERRY_DEV_REDIS_FILE:-${TMPDIR:-/tmp}/keyferry-dev-redis-$(id -u).env}"
redis_server="${KEYFERRY_REDIS_SERVER:-redis-server}"

fail() {
	echo "error: $1" >&2
	[ -n "${2:-}" ] && echo "hint: $2" >&2
	exit 1
}

# Prints the process_id of the server answering on 127.0.0.1:$1, using bash's /dev/tcp so that
# redis-cli is not needed.
answering_pid() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'INFO server\r\n' >&3
		while IFS= read -r -t 2 line <&3; do
			case "$line" in
			process_id:*)
				line="${line#process_id:}"
				echo "${line%$'\r'}"
				exit 0
				;;
			esac
		done
		exit 1
	) 2>/dev/null
}

# True while process $1 runs; a zombie waiting to be reaped counts as ended.
alive() {
	local stat
	stat="$(ps -p "$1" -o stat= 2>/dev/null)" || return 1
	case "$stat" in
	Z*) return 1 ;;
	*) return 0 ;;
	esac
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts one server in $1 and prints "port pid"; retries on another port if the port is taken.
start_one() {
	local dir="$1" attempt port pid
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		port_in_use "$port" && continue
		nohup "$redis_server" --bind 127.0.0.1 --port "$port" --daemonize no --dir "$dir" \
			--save "" --appendonly no >>"$dir/redis.log" 2>&1 &
		pid=$!
		for _ in $(seq 1 100); do
			if ! alive "$pid"; then
				break
			fi
			if [ "$(answering_pid "$port" || true)" = "$pid" ]; then
				echo "$port $pid"
				return 0
			fi
			sleep 0.1
		done
		if alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
			fail "redis-server (pid $pid) did not answer on port $port within 10 s; log: $dir/redis.log"
		fi
		grep -q "Address already in use" "$dir/redis.log" || fail "redis-server exited; log:
$(tail -n 20 "$dir/redis.log")"
	done
	fail "no free port found after 5 attempts"
}

# True when $1 is still the redis-server we started on port $2 (PIDs can be reused).
is_ours() {
	local args
	args="$(ps -p "$1" -o args= 2>/dev/null)" || return 1
	case "$args" in
	*redis-server*":$2"*) return 0 ;;
	*) return 1 ;;
	esac
}

start() {
	local count="${1:-2}" dir i port pid
	case "$count" in
	'' | *[!0-9]* | 0) fail "N must be a positive number, got '$count'" "scripts/dev-redis.sh start 2" ;;
	esac
	command -v "$redis_server" >/dev/null 2>&1 ||
		fail "no redis-server found" "run scripts/install-redis.sh (or brew install redis), or set KEYFERRY_REDIS_SERVER"
	if [ -f "$state_file" ]; then
		fail "servers from an earlier start are listed in $state_file" "run scripts/dev-redis.sh stop first"
	fi
	dir="$(mktemp -d "${TMPDIR:-/tmp}/keyferry-dev-redis.XXXXXX")"
	{
		echo "REDIS_DIR=$dir"
		echo "REDIS_COUNT=$count"
	} >"$state_file.tmp"
	for i in $(seq 1 "$count"); do
		mkdir "$dir/$i"
		read -r port pid < <(start_one "$dir/$i") || {
			rm -f "$state_file.tmp"
			fail "could not start server $i (servers already started are in $dir)"
		}
		{
			echo "REDIS_URI_$i=redis://127.0.0.1:$port"
			echo "REDIS_PORT_$i=$port"
			echo "REDIS_PID_$i=$pid"
		} >>"$state_file.tmp"
		echo "redis://127.0.0.1:$port pid $pid"
	done
	mv "$state_file.tmp" "$state_file"
	echo "state: $state_file (stop with: scripts/dev-redis.sh stop)" >&2
}

stop() {
	[ -f "$state_file" ] || {
		echo "nothing to stop: no $state_file" >&2
		return 0
	}
	# shellcheck disable=SC1090
	. "$state_file"
	local i pid port status=0
	for i in $(seq 1 "$REDIS_COUNT"); do
		pid="$(eval echo "\${REDIS_PID_$i:-}")"
		port="$(eval echo "\${REDIS_PORT_$i:-}")"
		[ -n "$pid" ] || continue
		if ! is_ours "$pid" "$port"; then
			echo "pid $pid (port $port) is no longer our redis-server: left alone" >&2
			continue
		fi
		kill -TERM "$pid"
		for _ in $(seq 1 100); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			echo "pid $pid did not stop within 10 s" >&2
			status=1
		else
			echo "stopped redis://127.0.0.1:$port pid $pid"
		fi
	done
	if [ "$status" -eq 0 ]; then
		rm -rf "$REDIS_DIR"
		rm -f "$state_file"
	fi
	return "$status"
}

case "${1:-start}" in
start) start "${2:-2}" ;;
stop) stop ;;
status) if [ -f "$state_file" ]; then cat "$state_file"; else echo "not running" >&2; fi ;;
[0-9]*) start "$1" ;;
*) fail "unknown command '$1'" "scripts/dev-redis.sh [start [N] | stop | status]" ;;
esac
