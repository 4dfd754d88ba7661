#!/usr/bin/env bash
# Builds headlight_<version>_amd64.deb and headlight-<version>-Linux.tar.gz from a built build folder
# (scripts/dev.sh build), then checks what the .deb holds: its desktop entry (desktop-file-validate), its
# AppStream metadata (appstreamcli validate) and the package itself (lintian; an error fails, warnings are
# listed). Installs the tools it needs (Debian 12, as root or with sudo).
#   packaging/build-package.sh [BUILD_DIR]      default: $HEADLIGHT_BUILD_DIR or build
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-${HEADLIGHT_BUILD_DIR:-build}}
TOOLS=(dpkg-dev file help2man librsvg2-bin lintian desktop-file-utils appstream)

missing=()
for p in "${TOOLS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "Installing: ${missing[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# HEADLIGHT_PACKAGE makes the man pages and PNG icons required; only they are built on top of the build.
cmake -S . -B "$BUILD_DIR" -DHEADLIGHT_PACKAGE=ON > /dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
rm -f "$BUILD_DIR"/headlight_*.deb "$BUILD_DIR"/headlight-*.tar.gz
(cd "$BUILD_DIR" && cpack)
deb=$(ls "$BUILD_DIR"/headlight_*_amd64.deb)
echo "== $deb"
dpkg-deb --field "$deb"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
echo "== desktop-file-validate"
desktop-file-validate "$root"/usr/share/applications/*.desktop
echo "== appstreamcli validate"
appstreamcli validate --no-net "$root"/usr/share/metainfo/*.metainfo.xml
echo "== lintian"
lintian --fail-on error --display-info --tag-display-limit 0 "$deb"
echo "Package: $deb ($(du -h "$deb" | cut -f1)) and $(ls "$BUILD_DIR"/headlight-*.tar.gz)"
