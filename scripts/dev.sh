#!/usr/bin/env bash
# Headlight's set-up in one place: installs what is missing (Debian 12, as root or with sudo), configures,
# builds, then runs the main job (`run`) or the tests (`test`).
#   scripts/dev.sh run  [MODEL_DIR] build, then open the app on a sample model (default: induction-gates)
#   scripts/dev.sh test          build, then run every test with ctest
#   scripts/dev.sh build         install and build only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake ninja-build g++ pkg-config help2man librsvg2-bin
          qt6-base-dev qt6-svg-dev libqcustomplot-dev
          libtorch-dev libopenblas0-pthread
          libhdf5-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev)
BUILD_DIR=${HEADLIGHT_BUILD_DIR:-build}

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "Installing: ${missing[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}

build() {
    install_missing
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
    fi
    cmake --build "$BUILD_DIR" --parallel "$(nproc)"
}

case "${1:-}" in
    run)
        build
        model=${2:-sample_models/induction-gates}
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            "$BUILD_DIR/bin/headlight" "$model"
        else
            # No display: run the app once under Xvfb and keep a picture of its first screen.
            if ! command -v xvfb-run > /dev/null; then PACKAGES=(xvfb xauth); install_missing; fi
            echo "No display: running under Xvfb, screenshot in $BUILD_DIR/headlight-screenshot.png"
            xvfb-run -a -s '-screen 0 1600x1000x24' "$BUILD_DIR/bin/headlight" "$model" \
                --size 1600x1000 --screenshot "$BUILD_DIR/headlight-screenshot.png"
        fi
        ;;
    test)
        build
        cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900
        ;;
    build)
        build
        ;;
    *)
        echo "usage: scripts/dev.sh run [MODEL_DIR] | test | build" >&2
        exit 2
        ;;
esac
