#!/usr/bin/env bash
# Installs Debian's nats-server (pinned) when missing: the NATS JetStream tests
# (stream-cli/tests/nats.rs) start their own server on 127.0.0.1 with it. The package's
# systemd unit is not started here: the tests run their own server and stop it.
set -euo pipefail
NATS_VERSION="2.9.10-1+b3"
if ! command -v nats-server >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "nats-server=${NATS_VERSION}" >/dev/null
fi
nats-server --version
