#!/usr/bin/env bash
# Installs every build and test dependency of Storybrush from Debian 12 packages (idempotent: only
# what is missing is installed), then configures and builds into ./build. Run as root, or as a user
# with sudo. Environment: BUILD_DIR (default build), BUILD_TYPE (default Release), CMAKE_ARGS (extra).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  # Qt 6: widgets, SVG icons, SQL with SQLite (gallery), tools and translations
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  qt6-translations-l10n libqt6sql6-sqlite libqt6svg6 libgl-dev
  # the engine: libtorch (CPU) with a fast BLAS (the reference BLAS is ~40x slower, see docs/environment.md)
  libtorch-dev libopenblas0-pthread
  # images, JSON, Unicode, crypto
  libopencv-dev libpng-dev libjpeg-dev libwebp-dev nlohmann-json3-dev libicu-dev libsodium-dev
  # the picture library's vector art, drawn at any size (engine/scene)
  librsvg2-dev
  # tests: offscreen/virtual display, fonts with Chinese and emoji for screenshots
  xvfb xauth fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji
  # the offline installer (packaging/build-installer.sh): makeself, and a small Chinese font it carries
  makeself fonts-wqy-microhei
  # the layout check of the sources (ctest formatting)
  clang-format
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root (or install sudo) to install packages" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# Debian's libtorch multiplies matrices through the system libblas.so.3: make sure that is OpenBLAS.
if command -v update-alternatives >/dev/null && [ "$(id -u)" = 0 ]; then
  blas=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas | head -1 || true)
  [ -n "$blas" ] && update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas" >/dev/null
fi

# The picture filter's reference (tests only): nsfwjs in TensorFlow.js, from npm, its home. Debian's nodejs and npm
# only when no npm is there (a machine may have NodeSource's, which Debian's npm conflicts with).
if ! command -v npm >/dev/null; then
  echo "setup: installing nodejs and npm (Debian) for the picture filter's reference test"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nodejs npm
fi
reference="$root/tests/reference/nsfwjs"
if [ ! -f "$reference/node_modules/nsfwjs/package.json" ]; then
  (cd "$reference" && npm ci --no-audit --no-fund --loglevel=error) ||
    echo "setup: npm could not install the picture filter's reference; its parity test will say it is skipped" >&2
fi

jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck disable=SC2086
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$jobs"
echo "setup: built into $build_dir"
