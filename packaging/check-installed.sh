#!/usr/bin/env bash
# CI, as a user would: installs the .deb that packaging/build-package.sh made with apt-get (which brings its
# Debian dependencies), runs the installed programs from a folder outside the checkout, then removes the
# package and checks that none of its files are left. Changes the system: meant for CI, as root.
#   packaging/check-installed.sh [BUILD_DIR]    default: $HEADLIGHT_BUILD_DIR or build
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
BUILD_DIR=$(cd "${1:-${HEADLIGHT_BUILD_DIR:-build}}" && pwd)
deb=$(ls "$BUILD_DIR"/headlight_*_amd64.deb)
samples=/usr/share/headlight/sample_models
fail() { echo "check-installed: $*" >&2; exit 1; }

missing=()
for p in man-db xvfb xauth; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
[ ${#missing[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}"
apt-get install -y -q "$deb"
dpkg -L headlight > "$BUILD_DIR/headlight.files"

# From a scratch folder with a scratch home: nothing may come from the checkout or a previous run.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME=$work
unset DISPLAY WAYLAND_DISPLAY
set -x
headlight-cli --version
headlight --version
headlight --help > help.txt
grep -q -- --screenshot help.txt
headlight-cli info "$samples/induction-gates" > info.json
grep -q '"n_layer": 2' info.json || fail "headlight-cli info: not the 2-layer induction-gates model: $(head -c 300 info.json)"
headlight-cli run "$samples/induction-gates" --text "$(cat "$samples/induction-gates/example.txt")" --out trace.h5
[ -s trace.h5 ] || fail "headlight-cli run wrote no trace"
# SentencePiece files go through the installed module (/usr/lib/headlight), loaded beside LibTorch.
headlight-cli tokenize "$checkout/tests/fixtures/sentencepiece/marian" --text "Hello world." --target > spm.json
grep -q '"ids":\[' spm.json || fail "headlight-cli tokenize of a Marian tokenizer: $(head -c 300 spm.json)"
man -w headlight-cli
man -w headlight
# No model given and no settings yet: the app opens the default sample, which it must find from /usr.
timeout 300 xvfb-run -a -s '-screen 0 1600x1000x24' headlight --size 1600x1000 --screenshot shot.png
[ "$(stat -c %s shot.png)" -gt 50000 ] || fail "the installed app's screenshot is nearly empty"
cp shot.png "$BUILD_DIR/installed-screenshot.png"
set +x
for b in /usr/bin/headlight /usr/bin/headlight-cli; do
    ! grep -qF "$checkout" "$b" || fail "$b names the build folder $checkout"
    ! readelf -d "$b" | grep -qE 'RPATH|RUNPATH' || fail "$b has an RPATH"
done

cd /
apt-get purge -y -q headlight
! dpkg-query -W headlight > /dev/null 2>&1 || fail "headlight is still known to dpkg"
left=0
while read -r path; do
    if [ -e "$path" ] && [ ! -d "$path" ]; then echo "left behind: $path" >&2; left=1; fi
done < "$BUILD_DIR/headlight.files"
for d in /usr/share/headlight /usr/share/doc/headlight; do [ ! -e "$d" ] || { echo "left behind: $d" >&2; left=1; }; done
[ $left -eq 0 ] || fail "files left after removal"
echo "check-installed: installed, ran from $work, removed with nothing left behind"
