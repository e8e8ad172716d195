#!/usr/bin/env bash
# Installs systemd-analyze (Debian's systemd package) with apt-get when it is missing: the tests
# check the systemd units in config/ with 'systemd-analyze verify'. Nothing is started.
# Uses sudo only when not root. Usage: scripts/install-systemd-analyze.sh
set -euo pipefail

if command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze present: $(systemd-analyze --version | head -1)" >&2
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "error: systemd-analyze is missing and apt-get is not available" >&2
	echo "hint: install systemd (it holds systemd-analyze) with the system's package manager" >&2
	exit 1
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

as_root apt-get update
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd

hash -r
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "error: apt-get installed systemd but systemd-analyze is not on the PATH ($PATH)" >&2
	exit 1
fi
echo "systemd-analyze installed: $(systemd-analyze --version | head -1)" >&2
