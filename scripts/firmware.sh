#!/usr/bin/env bash
# The default bundle's pipeline on an emulated Cortex-M4: builds firmware/ for
# thumbv7em-none-eabihf, runs it under QEMU's mps2-an386 (installs Debian's
# qemu-system-arm, pinned, when missing), prints flash and RAM (`size`), the stack's
# high-water mark and the instructions per on_bar, then checks every decision against
# the host's `tickml stream` on the same bars (stream-cli/tests/firmware.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
QEMU_VERSION="1:7.2+dfsg-7+deb12u18+b3"
if ! command -v qemu-system-arm >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "qemu-system-arm=${QEMU_VERSION}" binutils >/dev/null
fi
rustup target add thumbv7em-none-eabihf >/dev/null
(cd firmware && cargo build --release)
elf=firmware/target/thumbv7em-none-eabihf/release/tickml-firmware
out=target/firmware-output.txt
mkdir -p target
# the firmware ends itself through semihosting; the timeout bounds a hang
timeout 300 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
  -semihosting-config enable=on,target=native -icount shift=0 -kernel "$elf" > "$out"
echo "== firmware: $(grep -c '^decision' "$out") decisions; figures:"
grep '^figure' "$out"
if command -v size >/dev/null 2>&1; then
  size -A "$elf" | awk '$1 ~ /^\.(vector_table|text|rodata|data|bss|uninit)$/ { print "section", $1, $2 }'
fi
TICKML_FIRMWARE_OUTPUT="$PWD/$out" cargo test -p tickml-cli --test firmware -- --ignored
