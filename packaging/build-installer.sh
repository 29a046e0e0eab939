#!/usr/bin/env bash
# Builds Storybrush's two installers from the build folder (configured and built here if needed):
#   dist/storybrush_<version>_amd64.deb            (CPack; Depends on the Debian packages it uses)
#   dist/storybrush-<version>-linux-x86_64.run     (makeself; self-contained, installs with no network)
# Usage: packaging/build-installer.sh [--with-model FILE]... [--cuda] [--no-deb]
#   --with-model FILE   also ship this .safetensors model (e.g. a school's chosen SD checkpoint)
#   --cuda              keep CUDA libraries in the .run (a CUDA build; see packaging/README.md)
#   --no-deb            only the .run (machines without dpkg-dev, e.g. the GPU machine)
# Environment: BUILD_DIR (default build), OUT_DIR (default dist), CMAKE_ARGS (extra, on first configure),
# QT_PLUGIN_DIR / QT_TRANSLATIONS_DIR (default: from qtpaths6), MAKESELF_HEADER (makeself's header file),
# BUNDLED_FONT (default: WenQuanYi Micro Hei from fonts-wqy-microhei).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="${OUT_DIR:-$root/dist}"
models=()
cuda=0
deb=1
while (($#)); do
  case "$1" in
    --with-model) [ -f "${2:-}" ] || { echo "build-installer: --with-model needs an existing file" >&2; exit 2; }
                  case "$2" in *.safetensors) ;; *) echo "build-installer: only .safetensors models are shipped" >&2; exit 2;; esac
                  models+=("$(readlink -f "$2")"); shift 2 ;;
    --cuda) cuda=1; shift ;;
    --no-deb) deb=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-installer: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in makeself cmake ldd; do
  command -v "$tool" >/dev/null || { echo "build-installer: $tool is missing (apt-get install makeself cmake)" >&2; exit 1; }
done

if [ ! -f "$build/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
fi
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
mkdir -p "$out"

# --- the .deb ---
if [ $deb = 1 ]; then
  (cd "$build" && cpack -G DEB -B "$out/.cpack" >/dev/null)
  mv -f "$out"/.cpack/*.deb "$out/" && rm -rf "$out/.cpack"
fi

# --- the self-contained tree ---
stage="$build/installer-stage"
tree="$stage/storybrush"
rm -rf "$stage" && mkdir -p "$tree"
cmake --install "$build" --prefix "$tree" >/dev/null
# A font with Chinese for bare systems (the studio uses it only when the system has none): WenQuanYi Micro Hei.
font=${BUNDLED_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
if [ -f "$font" ]; then
  mkdir -p "$tree/share/storybrush/fonts"
  cp "$font" "$tree/share/storybrush/fonts/"
  cp /usr/share/doc/fonts-wqy-microhei/copyright "$tree/share/storybrush/fonts/wqy-microhei.copyright" 2>/dev/null || true
else
  echo "build-installer: $font is missing (apt-get install fonts-wqy-microhei): bare systems will show no text" >&2
fi
for model in "${models[@]}"; do install -m 644 "$model" "$tree/share/storybrush/models/"; done

# Qt's plugins the studio loads by name: window systems (X11, Wayland via XWayland, offscreen), input
# methods (Chinese input), image formats and SVG icons, SQLite for the gallery.
qt_plugins=${QT_PLUGIN_DIR:-$(qtpaths6 --query QT_INSTALL_PLUGINS 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/qt6/plugins)}
if [ -x "$tree/bin/storybrush" ]; then
  for dir in platforms xcbglintegrations platforminputcontexts imageformats iconengines sqldrivers; do
    [ -d "$qt_plugins/$dir" ] || continue
    mkdir -p "$tree/lib/qt6/plugins/$dir"
    for plugin in "$qt_plugins/$dir"/*.so; do
      case "$(basename "$plugin")" in libqeglfs*|libqlinuxfb*|libqvnc*|libqvkkhr*|libqminimalegl*) continue ;; esac
      cp -L "$plugin" "$tree/lib/qt6/plugins/$dir/"
    done
  done
  qt_translations=${QT_TRANSLATIONS_DIR:-$(qtpaths6 --query QT_INSTALL_TRANSLATIONS 2>/dev/null || echo /usr/share/qt6/translations)}
  mkdir -p "$tree/share/qt6/translations"
  cp -L "$qt_translations"/qtbase_zh_CN.qm "$tree/share/qt6/translations/" 2>/dev/null || true
  printf '[Paths]\nPrefix=..\nPlugins=lib/qt6/plugins\nTranslations=share/qt6/translations\n' > "$tree/bin/qt.conf"
fi

# Every shared library the programs and plugins need, except the C runtime every Linux system has and,
# unless --cuda, the CUDA libraries (the NVIDIA driver's libcuda is never bundled).
system_lib='^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libresolv|libutil|libgcc_s|libstdc\+\+)\.so'
cuda_lib='^(libcuda|libcudart|libcublas|libcublasLt|libcudnn|libcufft|libcurand|libcusparse|libcusolver|libnvrtc|libnvToolsExt|libnvJitLink|libcupti|libnccl)'
mkdir -p "$tree/lib"
# The build tree's RPATH (e.g. PyTorch's libtorch folder) tells ldd where the programs' own libraries are.
build_rpath=$(readelf -d "$build/storybrush-cli" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]/\1/p' | head -1 | tr ':' '\n' | grep -v '^$' | paste -sd: || true)
export LD_LIBRARY_PATH="${build_rpath}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
rm -f "$stage/bundled.txt"
mapfile -t elves < <(find "$tree/bin" "$tree/lib" -type f \( -name '*.so*' -o -perm -u+x \) ! -name '*.sh' ! -name qt.conf)
for elf in "${elves[@]}"; do
  ldd "$elf" 2>/dev/null | awk '/=> \//{print $1, $3}' | while read -r name path; do
    [[ "$name" =~ $system_lib ]] && continue
    [[ "$name" == libcuda.so* ]] && continue
    [[ $cuda = 0 && "$name" =~ $cuda_lib ]] && continue
    [ -e "$tree/lib/$name" ] || { cp -L "$path" "$tree/lib/$name"; echo "$name $path" >> "$stage/bundled.txt"; }
  done
done
if [ $cuda = 1 ]; then
  # cuDNN and NVRTC open parts of themselves by name at run time (cuDNN's engines, NVRTC's builtins): ldd
  # cannot see those, so their siblings come along.
  grep -E '^(libcudnn|libnvrtc)' "$stage/bundled.txt" 2>/dev/null | while read -r _ path; do
    source_dir=$(dirname "$path")
    for sibling in "$source_dir"/libcudnn_*.so* "$source_dir"/libnvrtc-builtins*.so*; do
      [ -e "$sibling" ] && [ ! -e "$tree/lib/$(basename "$sibling")" ] && cp -L "$sibling" "$tree/lib/"
    done
  done || true
fi
if ldd "$tree/bin/storybrush-cli" | grep -q 'not found'; then
  echo "build-installer: storybrush-cli misses libraries:" >&2; ldd "$tree/bin/storybrush-cli" | grep 'not found' >&2; exit 1
fi
install -m 755 "$root/packaging/linux/install.sh" "$stage/install.sh"

run="$out/storybrush-$version-linux-x86_64.run"
header=()
[ -n "${MAKESELF_HEADER:-}" ] && header=(--header "$MAKESELF_HEADER")
makeself "${header[@]}" --nox11 --gzip --sha256 "$stage" "$run" "Storybrush $version (offline installer)" ./install.sh >/dev/null
[ $deb = 0 ] || echo "build-installer: $(du -h "$out"/storybrush_"$version"_amd64.deb | cut -f1) $out/storybrush_${version}_amd64.deb"
echo "build-installer: $(du -h "$run" | cut -f1) $run ($(du -sh "$tree" | cut -f1) installed)"
