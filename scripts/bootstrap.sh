#!/usr/bin/env bash
# Installs what dubd needs on a fresh Debian 12 + Node 20 machine, and nothing when it is all there.
# Called by `npm start` and `npm test` (pre-scripts), so a clean checkout needs no other step.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  ffmpeg                # decode / encode / mux
  espeak-ng libespeak-ng1  # offline TTS (CLI + library loaded through koffi)
  pocketsphinx pocketsphinx-en-us  # offline English ASR (libpocketsphinx.so.3 through koffi)
  pocketsphinx-testdata # real recordings with reference transcripts, used by tests and benchmarks
  apertium apertium-eng-spa apertium-es-pt  # offline MT: en→es, and en→pt by chaining es→pt
  yt-dlp                # Project mode: media from URLs
  postgresql-client     # pg_dump / psql for DATABASE backups of a real PostgreSQL
  chromium              # the studio's end-to-end tests (driven by playwright-core)
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "bootstrap: need root to install: apt-get install ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install (a stamp inside node_modules).
stamp=node_modules/.dubd-lock-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
