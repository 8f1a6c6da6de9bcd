#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1 for the Slurm executor's tests (test/slurm/): munged,
# MariaDB + slurmdbd (accounting, so sacct answers as on a real cluster), slurmctld and slurmd,
# all as root, with their config, state and logs in one folder (default /tmp/distillery-slurm).
#
#   cluster.sh start [DIR]          writes DIR/slurm.conf, starts the daemons, waits until sinfo says idle
#   cluster.sh stop [DIR]           stops what start started (by the pids it wrote), newest first
#   cluster.sh run [DIR] -- CMD…    start, run CMD with SLURM_CONF set, stop (a trap) whatever CMD did
#
# Clients find the cluster through SLURM_CONF=DIR/slurm.conf (start prints it); jobs inherit it.
# Needs Debian's slurm-wlm, slurmdbd, munge and mariadb-server (.ci/run installs them).
set -euo pipefail

cmd=${1:-}
shift || true
dir=/tmp/distillery-slurm
if [[ $# -gt 0 && $1 != -- ]]; then dir=$1; shift; fi
[[ ${1:-} == -- ]] && shift
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf
export SLURM_CONF=$conf

log() { echo "[slurm] $*" >&2; }

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local secs=$1
  shift
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# Starts a daemon in the background (its own foreground mode), remembering its pid for stop.
daemon() {
  local name=$1
  shift
  "$@" >"$dir/$name.out" 2>&1 &
  echo $! >"$dir/$name.pid"
}

write_conf() {
  local cpus mem
  cpus=$(nproc)
  # RealMemory a little under what the node reports, or slurmd registers it as invalid.
  mem=$(($(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) * 9 / 10))
  mkdir -p "$dir/state" "$dir/spool" "$dir/mysql" "$dir/run"
  cat >"$conf" <<CONF
ClusterName=distillery
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=sched_min_interval=100000
SchedulerTimeSlice=5
MinJobAge=300
KillWait=5
InactiveLimit=0
ReturnToService=2
JobRequeue=1
PreemptMode=REQUEUE
PreemptType=preempt/partition_prio
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
NodeName=$(hostname -s) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  cat >"$dir/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$dir/slurmdbd.log
PidFile=$dir/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3307
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
  chmod 600 "$dir/slurmdbd.conf"
}

start() {
  for bin in munged slurmctld slurmd slurmdbd mariadbd sinfo; do
    command -v "$bin" >/dev/null || { log "$bin is not installed (apt-get install slurm-wlm slurmdbd munge mariadb-server)"; exit 3; }
  done
  stop quiet
  write_conf

  # munged: its own socket folder; the key the package made.
  mkdir -p /run/munge
  chown munge:munge /run/munge 2>/dev/null || true
  if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    daemon munged munged --foreground --force
    wait_for 10 sh -c 'munge -n | unmunge' || { log "munged did not start: $(tail -3 "$dir/munged.out")"; exit 1; }
  fi

  # MariaDB on its own port and data folder, so it never meets a system database.
  if [[ ! -d $dir/mysql/mysql ]]; then
    mariadb-install-db --user=root --datadir="$dir/mysql" --auth-root-authentication-method=normal >"$dir/mariadb-install.out" 2>&1
  fi
  daemon mariadb mariadbd --user=root --datadir="$dir/mysql" --port=3307 --bind-address=127.0.0.1 \
    --socket="$dir/run/mysql.sock" --pid-file="$dir/run/mariadb.pid" --skip-name-resolve --innodb-buffer-pool-size=32M
  wait_for 30 mariadb-admin --socket="$dir/run/mysql.sock" -uroot ping || { log "mariadb did not start: $(tail -3 "$dir/mariadb.out")"; exit 1; }
  mariadb --socket="$dir/run/mysql.sock" -uroot -e "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
    CREATE DATABASE IF NOT EXISTS slurm_acct_db; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"

  # slurmdbd reads slurmdbd.conf from beside $SLURM_CONF.
  daemon slurmdbd slurmdbd -D
  wait_for 30 sacctmgr -n list cluster || { log "slurmdbd did not start: $(tail -3 "$dir/slurmdbd.log" 2>/dev/null)"; exit 1; }
  sacctmgr -i add cluster distillery >/dev/null 2>&1 || true

  daemon slurmctld slurmctld -D -i
  daemon slurmd slurmd -D -N "$(hostname -s)"
  if ! wait_for 60 sh -c 'sinfo -h -o %t | grep -qx idle'; then
    log "the node did not come up idle: $(sinfo -h -o '%t %E' 2>&1); $(tail -3 "$dir/slurmctld.log" 2>/dev/null)"
    exit 1
  fi
  log "up: SLURM_CONF=$conf"
}

# Stops the daemons start started, newest first; slurmd's job steps (linuxproc) go with it.
stop() {
  local name pid
  for name in slurmd slurmctld slurmdbd mariadb munged; do
    [[ -f $dir/$name.pid ]] || continue
    pid=$(cat "$dir/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait_for 15 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
  done
  [[ ${1:-} == quiet ]] || log "stopped"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  run)
    trap stop EXIT
    start
    "$@"
    ;;
  *)
    echo "usage: cluster.sh start|stop [DIR] | run [DIR] -- CMD…" >&2
    exit 2
    ;;
esac
