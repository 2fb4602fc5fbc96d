#!/usr/bin/env bash
# A profile-guided build of the `tickml` binary (rustc's -Cprofile-generate /
# -Cprofile-use): an instrumented build streams the real bars in data/ (S&P 500 daily
# alone and with GOOG as a universe, JSON lines and CSV; never the synthetic minute
# bars scripts/stream_throughput.sh times), llvm-profdata from the pinned toolchain's
# llvm-tools merges the counts, and a second build uses them. Same source, same
# output; prints the binary's path.
#   scripts/pgo.sh            then: scripts/stream_throughput.sh "$(scripts/pgo.sh | tail -1)"
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add llvm-tools >&2
host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
dir="$PWD/target/pgo"
rm -rf "$dir/profiles"
# --target keeps RUSTFLAGS off build scripts and proc macros: only tickml is instrumented
RUSTFLAGS="-Cprofile-generate=$dir/profiles" \
  cargo build -q --release -p tickml-cli --target "$host" --target-dir "$dir/generate"
for input in data/spx_daily.csv data/spx_goog_daily.csv; do
  for format in jsonl csv; do
    "$dir/generate/$host/release/tickml" stream --input "$input" --format "$format" > /dev/null
  done
done
"$profdata" merge -o "$dir/tickml.profdata" "$dir/profiles"
RUSTFLAGS="-Cprofile-use=$dir/tickml.profdata" \
  cargo build -q --release -p tickml-cli --target "$host" --target-dir "$dir/use"
echo "$dir/use/$host/release/tickml"
