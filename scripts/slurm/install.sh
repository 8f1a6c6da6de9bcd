#!/usr/bin/env bash
# Installs what the Slurm test bed (cluster.sh) needs, from Debian: quiet, and nothing to do when
# it is there. Exit 0 when everything is installed afterwards.
set -euo pipefail
missing=()
command -v slurmctld >/dev/null 2>&1 || missing+=(slurm-wlm)
command -v slurmdbd >/dev/null 2>&1 || missing+=(slurmdbd)
command -v munged >/dev/null 2>&1 || missing+=(munge)
command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
((${#missing[@]})) || exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "[slurm] installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
# policy-rc.d-less containers would start the packages' services: cluster.sh runs its own.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
