#!/bin/sh
# Storybrush's offline installer (run by the .run file from its unpacked payload; needs no network).
#   sh storybrush-VERSION-linux-x86_64.run                 install for this user (~/.local), or for everyone as root
#   sh storybrush-VERSION-linux-x86_64.run -- --prefix DIR  install into DIR instead
#   sh storybrush-VERSION-linux-x86_64.run -- --no-menu     no menu entry
# It copies one folder (bin/, lib/, share/), links the two programs into a bin folder on PATH, adds the menu
# entry and icons, and writes DIR/uninstall.sh, which removes exactly what was added.
set -eu

payload="$(cd "$(dirname "$0")" && pwd)/storybrush"
menu=1
prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --no-menu) menu=0; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "Storybrush installer: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" = 0 ]; then
  : "${prefix:=/opt/storybrush}"; links=/usr/local/bin; data=/usr/local/share
else
  : "${prefix:=${XDG_DATA_HOME:-$HOME/.local/share}/storybrush-app}"; links="$HOME/.local/bin"; data="${XDG_DATA_HOME:-$HOME/.local/share}"
fi

if [ -e "$prefix/uninstall.sh" ]; then
  echo "Storybrush is already installed in $prefix: replacing it (your pictures are kept elsewhere and stay)."
  sh "$prefix/uninstall.sh" --quiet
fi
mkdir -p "$prefix" "$links"
cp -R "$payload/." "$prefix/"

added="$prefix"
for program in storybrush storybrush-cli; do
  [ -x "$prefix/bin/$program" ] || continue
  ln -sf "$prefix/bin/$program" "$links/$program"
  added="$added
$links/$program"
done

if [ $menu = 1 ] && [ -x "$prefix/bin/storybrush" ]; then
  id=org.storybrush.Storybrush
  mkdir -p "$data/applications"
  sed "s|^Exec=storybrush|Exec=\"$prefix/bin/storybrush\"|" "$prefix/share/applications/$id.desktop" > "$data/applications/$id.desktop"
  added="$added
$data/applications/$id.desktop"
  for icon in "$prefix"/share/icons/hicolor/*/apps/$id.*; do
    target="$data/icons/hicolor/${icon#"$prefix"/share/icons/hicolor/}"
    mkdir -p "$(dirname "$target")"
    cp "$icon" "$target"
    added="$added
$target"
  done
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" 2>/dev/null || true
fi

{
  echo '#!/bin/sh'
  echo '# Removes what the Storybrush installer added. Pictures and settings in your home folder stay.'
  echo 'set -u'
  echo "echo \"$added\" | while IFS= read -r path; do [ -n \"\$path\" ] && rm -rf \"\$path\"; done"
  echo '[ "${1:-}" = --quiet ] || echo "Storybrush is uninstalled."'
} > "$prefix/uninstall.sh"
chmod +x "$prefix/uninstall.sh"

echo "Storybrush is installed in $prefix."
echo "Start it from the menu, or run: $links/storybrush   (without a window: $links/storybrush-cli --help)"
case ":$PATH:" in *":$links:"*) ;; *) echo "($links is not on your PATH yet: add it, or use the full path above.)" ;; esac
echo "To remove it: $prefix/uninstall.sh"
