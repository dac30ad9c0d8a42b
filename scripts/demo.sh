#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the main job on the embedded default:
# a synthetic region, loaded into the analytical store under ./var.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/opspor demo "$@"
