#!/usr/bin/env bash
# Installs redis-server with apt-get when it is missing, without starting a system Redis service.
# Uses sudo only when not root. Usage: scripts/install-redis.sh
set -euo pipefail

# The cluster tests create their clusters with redis-cli (next to redis-server or on the PATH).
cli_present() {
	command -v redis-cli >/dev/null 2>&1 && return 0
	[ -n "${KEYFERRY_REDIS_SERVER:-}" ] && [ -x "$(dirname "$KEYFERRY_REDIS_SERVER")/redis-cli" ]
}

package=redis-server
if [ -n "${KEYFERRY_REDIS_SERVER:-}" ] && [ -x "$KEYFERRY_REDIS_SERVER" ]; then
	echo "redis-server from KEYFERRY_REDIS_SERVER: $("$KEYFERRY_REDIS_SERVER" --version)" >&2
	cli_present && exit 0
	package=redis-tools
elif command -v redis-server >/dev/null 2>&1; then
	echo "redis-server present: $(redis-server --version)" >&2
	cli_present && exit 0
	package=redis-tools
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "error: $package is missing and apt-get is not available" >&2
	echo "hint: install Redis (brew install redis, dnf install redis) or set KEYFERRY_REDIS_SERVER to a redis-server binary" >&2
	exit 1
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# A policy-rc.d that exits 101 keeps invoke-rc.d and deb-systemd-invoke from starting the
# packaged service: the tests start their own servers on free ports.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
	as_root chmod 755 "$policy"
	trap 'as_root rm -f "$policy"' EXIT
fi

as_root apt-get update
# redis-server depends on redis-tools, which holds redis-cli.
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package"

hash -r
for tool in redis-server redis-cli; do
	if [ "$tool" = redis-server ] && [ "$package" = redis-tools ]; then
		continue
	fi
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "error: apt-get installed $package but $tool is not on the PATH ($PATH)" >&2
		exit 1
	fi
done
echo "$package installed: $(redis-cli --version)" >&2
