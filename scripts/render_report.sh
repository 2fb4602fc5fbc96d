#!/usr/bin/env bash
# Renders a backtest report (one self-contained HTML file) in headless Chromium and
# writes a PNG screenshot of it.
#   scripts/render_report.sh [REPORT.html] [OUT.png]
# Defaults: target/bt/report.html (from `tickml backtest --input data/spx_daily.csv
# --out target/bt`) and docs/backtest-report.png. Installs Debian's chromium, pinned,
# when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# the point release's version (bookworm/main keeps it until the next point release;
# bookworm-security keeps only its newest, which replaced the earlier pin)
CHROMIUM_VERSION="150.0.7871.100-1~deb12u1"
html="${1:-target/bt/report.html}"
png="${2:-docs/backtest-report.png}"
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "chromium=${CHROMIUM_VERSION}"; then
    echo "chromium ${CHROMIUM_VERSION} is gone from the archive; installing the current one" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium
  fi
  chromium --version
fi
[ -f "$html" ] || { echo "no report at $html: run tickml backtest first" >&2; exit 1; }
mkdir -p "$(dirname "$png")"
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1040,2330 --screenshot="$(realpath -m "$png")" "file://$(realpath "$html")"
echo "wrote $png"
