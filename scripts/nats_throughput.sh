#!/usr/bin/env bash
# Throughput of 1, 2 and 3 `tickml stream --nats` workers over 6 partitions on this
# machine: a local nats-server (127.0.0.1, temporary store, stopped at the end), 300
# symbols x 400 daily bars (scaled S&P 500 prices) published once, then each worker
# count decides every bar into its own output stream and checkpoint bucket (default
# bundle, a checkpoint every 1,000 bars of a partition). Time = wall time of the
# workers minus their 0.5 s idle exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/nats.sh >/dev/null
cargo build --release -q -p tickml-cli
BIN=target/release/tickml
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -a 127.0.0.1 -p "$PORT" -sd "$WORK/store" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
URL="nats://127.0.0.1:$PORT"
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.05; done
python3 - "$WORK/universe.csv" <<'EOF'
import sys
rows = open("data/spx_daily.csv").read().splitlines()[1:401]
out = ["timestamp,symbol,open,high,low,close,volume"]
for r in rows:
    c = r.split(",")
    for s in range(300):
        k = 1 + s / 1000
        out.append(",".join([c[0], f"S{s:03}"] + [repr(float(x) * k) for x in c[1:5]] + [c[5]]))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
EOF
BARS=120000
# the same bars through one `tickml stream` process over the file, for scale
start=$(date +%s.%N)
$BIN stream --input "$WORK/universe.csv" >/dev/null
python3 -c "t=$(date +%s.%N)-$start; print(f'one tickml stream over the file: {$BARS} bars in {t:.2f} s = {$BARS/t:.0f} bars/s')"
server_cpu() { awk '{print ($14 + $15) / 100}' /proc/$SERVER/stat; }
start=$(date +%s.%N)
$BIN publish --nats "$URL" --partitions 6 --input "$WORK/universe.csv"
echo "publish: $(python3 -c "print(f'{$BARS/($(date +%s.%N)-$start):.0f}')") bars/s"
for workers in 1 2 3; do
  case $workers in
    1) sets=("0 1 2 3 4 5") ;;
    2) sets=("0 1 2" "3 4 5") ;;
    3) sets=("0 3" "1 4" "2 5") ;;
  esac
  start=$(date +%s.%N)
  cpu0=$(server_cpu)
  pids=()
  for set in "${sets[@]}"; do
    args=()
    for p in $set; do args+=(--partition "$p/6"); done
    $BIN stream --nats "$URL" "${args[@]}" --output-stream "OUT$workers" \
      --output-prefix "out$workers" --checkpoints "ckpt$workers" \
      --idle-exit 0.5 2>"$WORK/w$workers-${set// /}.log" &
    pids+=($!)
  done
  wait "${pids[@]}"
  end=$(date +%s.%N)
  decided=$(python3 -c 'import sys; print(sum(map(int, sys.argv[1:])))' \
    $(sed -n 's/.* bars, \([0-9]*\) decisions.*/\1/p' "$WORK"/w$workers-*.log))
  [ "$decided" = "$BARS" ] || { echo "$workers worker(s): $decided decisions of $BARS bars" >&2; cat "$WORK"/w$workers-*.log >&2; exit 1; }
  python3 -c "t=$end-$start-0.5; print(f'$workers worker(s): {$BARS} bars decided in {t:.2f} s = {$BARS/t:.0f} bars/s (server CPU {$(server_cpu)-$cpu0:.2f} s)')"
done
