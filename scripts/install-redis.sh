#!/usr/bin/env bash
# Installs what the tests need and are missing, with apt-get, without starting a system Redis
# service: redis-server (the tests start their own servers), redis-cli (the cluster tests create
# their clusters with it), a C compiler (the tests build a small clock-shifting library to run
# servers whose clocks are off) and openssl (the TLS tests make their CA and certificates with
# it). Does nothing when all are present, so it can run before every build. Uses sudo only when
# not root.
# Usage: scripts/install-redis.sh
set -euo pipefail

missing=()
server_dir=""
if [ -n "${KEYFERRY_REDIS_SERVER:-}" ] && [ -x "$KEYFERRY_REDIS_SERVER" ]; then
	echo "redis-server from KEYFERRY_REDIS_SERVER: $("$KEYFERRY_REDIS_SERVER" --version)" >&2
	server_dir=$(dirname "$KEYFERRY_REDIS_SERVER")
elif command -v redis-server >/dev/null 2>&1; then
	echo "redis-server present: $(redis-server --version)" >&2
else
	# redis-server depends on redis-tools, which holds redis-cli
	missing+=(redis-server)
fi
if [ ${#missing[@]} -eq 0 ] && ! command -v redis-cli >/dev/null 2>&1 \
	&& ! { [ -n "$server_dir" ] && [ -x "$server_dir/redis-cli" ]; }; then
	missing+=(redis-tools)
fi
if command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || command -v clang >/dev/null 2>&1; then
	echo "C compiler present" >&2
else
	missing+=(gcc libc6-dev)
fi
if command -v openssl >/dev/null 2>&1; then
	echo "openssl present" >&2
else
	missing+=(openssl)
fi

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "error: ${missing[*]} missing and apt-get is not available" >&2
	echo "hint: install Redis, a C compiler and openssl (brew install redis openssl, dnf install redis gcc openssl) or set KEYFERRY_REDIS_SERVER to a redis-server binary (with redis-cli beside it)" >&2
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
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

hash -r
if [ -z "$server_dir" ]; then
	for tool in redis-server redis-cli; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "error: apt-get installed ${missing[*]} but $tool is not on the PATH ($PATH)" >&2
			exit 1
		fi
	done
fi
if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
	echo "error: apt-get installed ${missing[*]} but no C compiler is on the PATH ($PATH)" >&2
	exit 1
fi
echo "installed: ${missing[*]}" >&2
