#!/usr/bin/env bash
# Installs what Courtcast needs on a Debian/Ubuntu machine, or says exactly what to install.
# Usage: scripts/ensure-deps.sh [runtime|test|bench]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-runtime}"

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v fc-list >/dev/null 2>&1 || need_apt+=(fontconfig fonts-dejavu-core)
# The browser tests drive Debian's Chromium through playwright-core (no browser download).
if [ "$mode" = test ] && [ ! -x /usr/bin/chromium ]; then need_apt+=(chromium); fi
# Chinese courts' slates are drawn with a face that has the characters (without one they fall back
# to English), and the player's Chinese strings must render in browser tests and their screenshots.
if ! fc-list :lang=zh-cn 2>/dev/null | grep -q .; then need_apt+=(fonts-wqy-microhei); fi
# State-store contract tests and restart recovery start a private redis-server.
if [ "$mode" = test ] && ! command -v redis-server >/dev/null 2>&1; then need_apt+=(redis-server); fi
# The deployment test checks deploy/nginx.conf with Debian's nginx.
if [ "$mode" = test ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then need_apt+=(nginx-light); fi
# It balances encoders' RTMP over the nodes with the stream module, a separate package on Debian.
if [ "$mode" = test ] && [ ! -f /usr/lib/nginx/modules/ngx_stream_module.so ]; then need_apt+=(libnginx-mod-stream); fi
# Benchmarks compare the origin with nginx serving the same files, and need what the tests need.
if [ "$mode" = bench ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
fi
# The origin bench loads both servers with wrk; the suite runs its smoke.
if { [ "$mode" = bench ] || [ "$mode" = test ]; } && ! command -v wrk >/dev/null 2>&1; then need_apt+=(wrk); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "courtcast: installing ${need_apt[*]} with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
    echo "courtcast: installing ${need_apt[*]} with sudo apt-get" >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "courtcast: please install: ${need_apt[*]} (FFmpeg 5.1+ built with libx264, AAC, libsrt and drawtext;" >&2
    echo "  for the tests, Chromium at /usr/bin/chromium or set COURTCAST_CHROMIUM)" >&2
    echo "  macOS: brew install ffmpeg   Fedora: dnf install ffmpeg-free   Other: https://ffmpeg.org/download.html" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "courtcast: Node.js 20 or newer is required (found ${node_major})" >&2
  exit 1
fi

# Reinstall npm packages when they are missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "courtcast: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
