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
rm -rf /etc/asterisk
mkdir -m 0750 /etc/asterisk
"$TSX" src/cli/render-asterisk-config.ts --out /etc/asterisk
# The files are written 0640 root:root; Asterisk reads (and reloads) them as `asterisk`.
chown -R root:asterisk /etc/asterisk

say "building prompts"
"$TSX" src/cli/build-prompts.ts --root /

# Directories from asterisk.conf that Asterisk writes to after dropping root. The package sets
# most of them up; /run is not part of an image, so its directory may be missing.
for dir in /var/run/asterisk /var/lib/asterisk /var/spool/asterisk /var/log/asterisk /var/cache/asterisk; do
  mkdir -p "$dir"
  chown asterisk:asterisk "$dir"
done
rm -f /var/run/asterisk/asterisk.ctl

say "starting Asterisk"
exec asterisk -f -U asterisk -G asterisk -C /etc/asterisk/asterisk.conf
