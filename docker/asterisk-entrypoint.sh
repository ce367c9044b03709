#!/usr/bin/env bash
# Entrypoint of the asterisk image (docker/asterisk.Dockerfile). Does at every start what
# `docker/sandbox.sh up` does, with the same tools:
#   1. renders /etc/asterisk from the environment (src/cli/render-asterisk-config.ts);
#   2. builds the prompt audio (src/cli/build-prompts.ts --root /) into
#      /usr/share/asterisk/sounds/hotline, a volume: unchanged prompts are skipped and
#      recordings dropped there are kept (see prompts/README.md);
#   3. runs Asterisk in the foreground as the `asterisk` user.
# The environment must hold the controller's whole configuration (loadConfig() validates all
# of it, API_TOKEN included); compose.yaml passes hotline.env and overrides the addresses.
#
# build-prompts runs espeak-ng and sox through `chroot / ...`, so this script runs as root and
# the container keeps CAP_SYS_CHROOT (in Docker's default capability set).
set -euo pipefail

cd /app
TSX=/app/node_modules/.bin/tsx
# Only the real environment counts here: no env file is copied into the image.
export HOTLINE_ENV_FILE=${HOTLINE_ENV_FILE:-/nonexistent/hotline.env}

say() { echo "asterisk-entrypoint: $*"; }

say "rendering /etc/asterisk"
# The generated files are rewritten from scratch; the operator's *_local.conf are kept.
keep=$(mktemp -d)
find /etc/asterisk -maxdepth 1 -name '*_local.conf' -exec cp -a {} "$keep/" \; 2>/dev/null || true
rm -rf /etc/asterisk
mkdir -m 0750 /etc/asterisk
cp -a "$keep/." /etc/asterisk/
rm -rf "$keep"
"$TSX" src/cli/render-asterisk-config.ts --out /etc/asterisk
# The files are written 0640 root:root; Asterisk reads (and reloads) them as `asterisk`.
chown -R root:asterisk /etc/asterisk

say "building prompts"
"$TSX" src/cli/build-prompts.ts --root /

# Hold music for agent transfers (musiconhold.conf's [default] class), the same as
# docker/sandbox.sh makes: a slow, soft arpeggio, about 19 s, 8 kHz mono. Made once.
MOH_DIR=/var/lib/asterisk/moh/hotline
mkdir -p "$MOH_DIR"
if [ ! -s "$MOH_DIR/hold.wav" ]; then
  say "generating the hold music"
  sox -n -r 8000 -c 1 -b 16 "$MOH_DIR/hold.wav" synth 4.8 pluck C4 pluck E4 pluck G4 pluck C5 \
    pluck A3 pluck C4 pluck E4 pluck A4 delay 0 0.6 1.2 1.8 2.4 3.0 3.6 4.2 remix - lowpass 2500 \
    fade 0 4.8 0.2 gain -n -12 repeat 3
fi

# Directories from asterisk.conf that Asterisk writes to after dropping root. The package sets
# most of them up; /run is not part of an image, so its directory may be missing.
for dir in /var/run/asterisk /var/lib/asterisk /var/spool/asterisk /var/log/asterisk /var/cache/asterisk; do
  mkdir -p "$dir"
  chown asterisk:asterisk "$dir"
done
rm -f /var/run/asterisk/asterisk.ctl

say "starting Asterisk"
exec asterisk -f -U asterisk -G asterisk -C /etc/asterisk/asterisk.conf
