#!/usr/bin/env bash
# Screenshots of the app on every sample model, for the README: docs/screenshots/NAME.png.
# Runs the real app under Xvfb (xvfb-run; installs xvfb when missing) at 1600x1000, each model on its
# example text, and saves the window after the first run (the app's --screenshot option).
#   scripts/screenshots.sh [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
app=${HEADLIGHT_APP:-build/bin/headlight}
[ -x "$app" ] || scripts/dev.sh build
if ! command -v xvfb-run > /dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get install -y -q xvfb xauth
fi
mkdir -p docs/screenshots
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in sample_models/*/config.json; do names+=("$(basename "$(dirname "$f")")"); done
fi
settings=$(mktemp -d)   # a fresh settings folder: the default layout, light theme
trap 'rm -rf "$settings"' EXIT
for name in "${names[@]}"; do
    echo "== $name"
    XDG_CONFIG_HOME="$settings" xvfb-run -a -s '-screen 0 1600x1000x24' \
        "$app" "sample_models/$name" --size 1600x1000 --screenshot "docs/screenshots/$name.png"
done
# The What if panel: the previous-token head of induction-gates pruned, its induction head selected.
# The head grid of a GPT-2-small-sized model (random weights, 12 x 12 heads) at 512 tokens, and a sample at
# 1280 x 800 (everything fits).
if [ $# -eq 0 ]; then
    echo "== head-grid-12x12"
    cli=${HEADLIGHT_CLI:-build/bin/headlight-cli}
    big=$(mktemp -d)
    trap 'rm -rf "$settings" "$big"' EXIT
    "$cli" init --config bench/gpt2-small-chars.json --seed 1 --out "$big/gpt2-small-chars" > /dev/null
    text=$(python3 -c 'import sys; s="The quick brown fox jumps over the lazy dog while the attention heads watch. "; print((s*8)[:512])')
    XDG_CONFIG_HOME="$settings" xvfb-run -a -s '-screen 0 1600x1000x24' \
        "$app" "$big/gpt2-small-chars" --text "$text" --size 1600x1000 --screenshot docs/screenshots/head-grid-12x12.png
    echo "== assign-selective-1280x800"
    XDG_CONFIG_HOME="$settings" xvfb-run -a -s '-screen 0 1280x800x24' \
        "$app" sample_models/assign-selective --size 1280x800 --screenshot docs/screenshots/assign-selective-1280x800.png
    echo "== induction-gates-whatif"
    XDG_CONFIG_HOME="$settings" xvfb-run -a -s '-screen 0 1600x1000x24' \
        "$app" sample_models/induction-gates --prune 0.0 --head 1.0 --size 1600x1000 \
        --screenshot docs/screenshots/induction-gates-whatif.png
fi
