# syntax=docker/dockerfile:1
# Asterisk 22 for the hotline, with the project's own tools to generate its configuration and
# prompt audio at container start (docker/asterisk-entrypoint.sh). Build context: the repo root.
#
#   docker compose -f docker/compose.yaml --env-file hotline.env up --build
#
# Debian sid, as in docker/sandbox.sh: Debian 12 has no asterisk package, and sid's espeak-ng
# (1.52) reads Chinese. Nothing is rendered at build time: the configuration holds the ARI and
# AMI credentials, which must never end up in an image layer.
#
# Node: the official Node 20 binary and the production node_modules come from a
# node:20-bookworm-slim stage (the same `npm ci` as the controller image, so BuildKit shares the
# layer). That pins the Node the project is tested with instead of whatever nodejs sid has this
# week; the binary needs only glibc, libstdc++ and libgcc, which sid has in newer versions.

FROM node:20-bookworm-slim AS deps
# better-sqlite3 is a production dependency; these build it if no prebuilt binary downloads.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM debian:sid-slim
ARG DEBIAN_FRONTEND=noninteractive
# The packaged sample configuration stays aside in /etc/asterisk.dist (as in the sandbox): the
# live /etc/asterisk holds only the generated files, or the samples would configure modules the
# hotline does not use. The checks fail the build rather than the first start: the runtime user,
# the tools build-prompts needs, and the module directory that src/asterisk/render-config.ts
# writes into asterisk.conf (amd64 only, hence `platform: linux/amd64` in compose.yaml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      asterisk asterisk-modules asterisk-core-sounds-en-wav espeak-ng sox \
 && rm -rf /var/lib/apt/lists/* \
 && mv /etc/asterisk /etc/asterisk.dist \
 && mkdir -m 0750 /etc/asterisk \
 && id asterisk \
 && test -x /usr/bin/espeak-ng \
 && test -x /usr/bin/sox \
 && test -d /usr/lib/x86_64-linux-gnu/asterisk/modules

COPY --from=deps /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY dialplans ./dialplans
COPY prompts ./prompts
COPY docker/asterisk-entrypoint.sh /usr/local/bin/asterisk-entrypoint
RUN chmod 0755 /usr/local/bin/asterisk-entrypoint && node --version

# ARI (HTTP), AMI, SIP, RTP (rtp.conf: 10000-10999, the default range for HOTLINE_MAX_CALLS up to
# 250; RTP_PORT_START and RTP_PORTS move it: publish the range they give).
EXPOSE 8088/tcp 5038/tcp 5060/udp 10000-10999/udp
ENTRYPOINT ["/usr/local/bin/asterisk-entrypoint"]
