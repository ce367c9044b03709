#!/usr/bin/env bash
# A real Asterisk 22 for Linux machines without Docker: Debian sid's packages in a cached
# chroot (Debian 12 has no asterisk package, and sid's must not touch the host's libc).
#
#   docker/sandbox.sh up      build or reuse the root, generate config + prompts, start Asterisk
#   docker/sandbox.sh down    stop Asterisk, unmount what `up` mounted
#   docker/sandbox.sh status  running or not, and what it listens on
#
# Needs root (debootstrap, chroot, mount). Settings: HOTLINE_SANDBOX_CACHE (default
# /var/cache/hotline-sandbox), DEBIAN_MIRROR, HOTLINE_ENV_FILE (default ./hotline.env).
set -euo pipefail

cd "$(dirname "$0")/.."
PROJECT=$(pwd)
CACHE=${HOTLINE_SANDBOX_CACHE:-/var/cache/hotline-sandbox}
ROOT=$CACHE/root
RUN=$CACHE/run
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=asterisk,asterisk-modules,asterisk-core-sounds-en-wav,espeak-ng,sox
export HOTLINE_ENV_FILE=${HOTLINE_ENV_FILE:-$PROJECT/hotline.env}
TSX=$PROJECT/node_modules/.bin/tsx

say() { echo "sandbox: $*"; }
die() { echo "sandbox: $*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount). Run it as root, or use docker/compose.yaml on a machine with Docker."
}

asterisk_pid() {
  local pid
  pid=$(cat "$RUN/asterisk.pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

ast() { chroot "$ROOT" asterisk -C /etc/asterisk/asterisk.conf -rx "$1"; }

ensure_rootfs() {
  if [ -x "$ROOT/usr/sbin/asterisk" ] && [ "$(cat "$ROOT/.hotline-packages" 2>/dev/null)" = "$PACKAGES" ]; then
    say "reusing the cached root at $ROOT"
    return
  fi
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  say "building the root at $ROOT (Debian sid: $PACKAGES); this takes about a minute"
  rm -rf "$ROOT.tmp"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include="$PACKAGES" sid "$ROOT.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || die "debootstrap failed (no route to Debian's archive?); see $CACHE/debootstrap.log"
  # Keep the packaged configuration aside; the live one is generated.
  cp -a "$ROOT.tmp/etc/asterisk" "$ROOT.tmp/etc/asterisk.dist"
  echo "$PACKAGES" >"$ROOT.tmp/.hotline-packages"
  rm -rf "$ROOT"
  mv "$ROOT.tmp" "$ROOT"
}

ensure_env_file() {
  [ -f "$HOTLINE_ENV_FILE" ] && return
  say "writing $HOTLINE_ENV_FILE with fresh random credentials"
  secret() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }
  umask 077
  cat >"$HOTLINE_ENV_FILE" <<EOF
# Local controller and sandbox settings (generated; not committed). See README "Configuration".
ARI_URL=http://127.0.0.1:8088
ARI_USER=hotline
ARI_PASSWORD=$(secret)
AMI_USER=hotline
AMI_SECRET=$(secret)
API_TOKEN=$(secret)
EOF
}

# Adds KEY=VALUE to the env file unless it sets KEY already (an operator's value wins), so a
# file written by an older version of this script gets settings added since.
ensure_env_setting() {
  grep -qE "^$1=" "$HOTLINE_ENV_FILE" || printf '%s=%s\n' "$1" "$2" >>"$HOTLINE_ENV_FILE"
}

# N14: Asterisk writes call recordings here (its astspooldir/recording); the controller on the
# host reads, serves and deletes them in the same folder, inside the chroot.
RECORDINGS_DIR=/var/spool/asterisk/recording

# Hold music for agent transfers (musiconhold.conf's [default] class): a slow, soft arpeggio
# (C major, then A minor) of plucked notes, about 19 s, 8 kHz mono. Made once; a file an
# operator puts there instead is kept.
MOH_DIR=/var/lib/asterisk/moh/hotline
HOLD_SYNTH=(synth 4.8 pluck C4 pluck E4 pluck G4 pluck C5 pluck A3 pluck C4 pluck E4 pluck A4
  delay 0 0.6 1.2 1.8 2.4 3.0 3.6 4.2 remix - lowpass 2500 fade 0 4.8 0.2 gain -n -12 repeat 3)

generate() {
  [ -x "$TSX" ] || die "node_modules is missing: run 'npm ci' first"
  # The generated files are rewritten from scratch; the operator's *_local.conf are kept.
  local keep
  keep=$(mktemp -d)
  find "$ROOT/etc/asterisk" -maxdepth 1 -name '*_local.conf' -exec cp -a {} "$keep/" \; 2>/dev/null || true
  rm -rf "$ROOT/etc/asterisk"
  mkdir -p "$ROOT/etc/asterisk"
  cp -a "$keep/." "$ROOT/etc/asterisk/"
  rm -rf "$keep"
  "$TSX" src/cli/render-asterisk-config.ts --out "$ROOT/etc/asterisk"
  "$TSX" src/cli/build-prompts.ts --root "$ROOT"
  mkdir -p "$ROOT$MOH_DIR" "$ROOT$RECORDINGS_DIR"
  if [ ! -s "$ROOT$MOH_DIR/hold.wav" ]; then
    say "generating the hold music"
    chroot "$ROOT" sox -n -r 8000 -c 1 -b 16 "$MOH_DIR/hold.wav" "${HOLD_SYNTH[@]}"
  fi
}

mount_all() {
  mkdir -p "$ROOT/proc" "$ROOT/dev" "$ROOT/run/asterisk" "$RUN"
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
  # Without the host's names Asterisk cannot resolve its own hostname and logs errors.
  cp /etc/hosts "$ROOT/etc/hosts"
}

unmount_all() {
  for m in "$ROOT/dev" "$ROOT/proc"; do
    if mountpoint -q "$m"; then umount "$m" 2>/dev/null || umount -l "$m"; fi
  done
}

wait_ready() {
  local user pass port
  user=$(grep -E '^ARI_USER=' "$HOTLINE_ENV_FILE" | cut -d= -f2-)
  pass=$(grep -E '^ARI_PASSWORD=' "$HOTLINE_ENV_FILE" | cut -d= -f2-)
  port=$(grep -E '^ARI_URL=' "$HOTLINE_ENV_FILE" | sed -E 's#.*:([0-9]+).*#\1#')
  for _ in $(seq 1 120); do
    if asterisk_pid >/dev/null && ast "core waitfullybooted" >/dev/null 2>&1 &&
      curl -fsS -u "$user:$pass" "http://127.0.0.1:${port:-8088}/ari/asterisk/info" >/dev/null 2>&1; then
      return 0
    fi
    asterisk_pid >/dev/null || die "Asterisk exited during start; see $RUN/console.log"
    sleep 0.5
  done
  die "Asterisk did not become ready in 60 s; see $RUN/console.log"
}

# modules.conf is read only when Asterisk starts (a reload neither loads nor unloads modules),
# so `up` restarts a running Asterisk whose modules.conf is not the one it started with.
modules_sum() { sha256sum "$ROOT/etc/asterisk/modules.conf" 2>/dev/null | cut -d' ' -f1; }

start_asterisk() {
  rm -f "$ROOT/run/asterisk/asterisk.ctl"
  modules_sum >"$RUN/modules.sum"
  nohup chroot "$ROOT" asterisk -f -C /etc/asterisk/asterisk.conf >"$RUN/console.log" 2>&1 &
  echo $! >"$RUN/asterisk.pid"
  say "Asterisk starting (pid $!)"
}

stop_asterisk() {
  local pid=$1
  ast "core stop now" >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$RUN/asterisk.pid" "$RUN/modules.sum"
}

up() {
  need_root
  ensure_rootfs
  ensure_env_file
  ensure_env_setting HOTLINE_RECORDINGS_DIR "$ROOT$RECORDINGS_DIR"
  generate
  mount_all
  if pid=$(asterisk_pid) && [ "$(cat "$RUN/modules.sum" 2>/dev/null)" != "$(modules_sum)" ]; then
    say "modules.conf changed since Asterisk started (pid $pid): restarting it to load the new module list"
    stop_asterisk "$pid"
  fi
  if pid=$(asterisk_pid); then
    say "Asterisk already running (pid $pid): reloading the generated configuration"
    ast "core reload" >/dev/null
    ast "dialplan reload" >/dev/null
  else
    start_asterisk
  fi
  wait_ready
  say "ready: $(ast 'core show version' | head -1)"
}

down() {
  need_root
  if pid=$(asterisk_pid); then
    stop_asterisk "$pid"
    say "Asterisk stopped"
  else
    say "Asterisk was not running"
  fi
  rm -f "$RUN/asterisk.pid" "$RUN/modules.sum"
  unmount_all
}

status() {
  if pid=$(asterisk_pid); then
    echo "running (pid $pid): $(ast 'core show uptime' | head -1)"
    ss -lntup 2>/dev/null | grep -E "pid=$pid," | awk '{print "  listening:", $1, $5}' || true
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
