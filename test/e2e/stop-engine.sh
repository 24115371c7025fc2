#!/usr/bin/env bash
# stop-engine.sh — stop the registry and dockerd that test/e2e/setup-engine.sh started
# (found through their pid files in $STATE/run). Leaves everything installed and all data
# (images, registry content, password) in place: setup-engine.sh starts them again quickly.
#
#   STATE = ${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}
set -euo pipefail

STATE=${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}
RUN=$STATE/run

stop_one() { # pidfile  process-name (a word of its command line)
  local pidfile=$1 name=$2 pid cmd _
  if [[ ! -f $pidfile ]]; then
    echo "$name: no pid file ($pidfile), not started by setup-engine.sh or already stopped"
    return 0
  fi
  pid=$(cat "$pidfile" 2>/dev/null || true)
  cmd=
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  fi
  if [[ $cmd != *"$name"* ]]; then
    echo "$name: not running (stale pid file removed)"
    rm -f "$pidfile"
    return 0
  fi
  echo "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do # dockerd stops its containers and containerd first: allow 30s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name: still running after 30s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "$name: stopped"
}

stop_one "$RUN/registry.pid" docker-registry
stop_one "$RUN/dockerd.pid" dockerd
rm -f "$RUN/dockerd.fingerprint"
