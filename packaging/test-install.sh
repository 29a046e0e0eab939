#!/usr/bin/env bash
# Proves the offline installer on a machine that has nothing of ours: builds it (packaging/build-installer.sh,
# unless INSTALLER=path.run is given), makes a clean Debian 12 root (debootstrap minbase), copies the .run in,
# and inside that root, with the network cut off (unshare -n): installs it, draws a picture with the built-in
# model through storybrush-cli, checks the PNG, prints `storybrush --version`, starts the studio offscreen
# for a screenshot, and uninstalls. Run as root. Log and screenshot: $WORK (default /var/tmp/storybrush-install).
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${WORK:-/var/tmp/storybrush-install}"
[ "$(id -u)" = 0 ] || { echo "test-install: run as root (debootstrap, chroot, unshare)" >&2; exit 1; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null

installer="${INSTALLER:-}"
if [ -z "$installer" ]; then
  "$root_dir/packaging/build-installer.sh"
  installer=$(ls -t "$root_dir"/dist/storybrush-*-linux-x86_64.run | head -1)
fi

# A minimal Debian 12, made once and kept as a tarball (the fresh-CI root is reused when it exists).
base="$work/base.tar"
[ -f "$base" ] || [ ! -f /var/tmp/storybrush-fresh/base.tar ] || { mkdir -p "$work"; cp /var/tmp/storybrush-fresh/base.tar "$base"; }
if [ ! -f "$base" ]; then
  mkdir -p "$work" && rm -rf "$work/make-base"
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || echo http://deb.debian.org/debian)
  debootstrap --variant=minbase bookworm "$work/make-base" "$mirror" >"$work/debootstrap.log" 2>&1
  tar -C "$work/make-base" -cf "$base" . && rm -rf "$work/make-base"
fi
chroot_dir="$work/root"
cleanup() { for m in proc dev; do mountpoint -q "$chroot_dir/$m" && umount -l "$chroot_dir/$m"; done; return 0; }
cleanup
rm -rf --one-file-system "$chroot_dir" && mkdir -p "$chroot_dir" && tar -C "$chroot_dir" -xf "$base"
cp "$installer" "$chroot_dir/tmp/storybrush.run"
mount -t proc proc "$chroot_dir/proc" && mount --bind /dev "$chroot_dir/dev"
trap cleanup EXIT

cat > "$chroot_dir/tmp/check.sh" <<'CHECK'
set -eu
echo "== network inside: $(cat /sys/class/net/*/operstate 2>/dev/null | tr '\n' ' ')(only lo expected)"
sh /tmp/storybrush.run --quiet -- --prefix /opt/storybrush
cd /tmp
/usr/local/bin/storybrush-cli generate --model builtin --prompt "a cute frog on a meadow" --seed 1 --steps 20 -o /tmp/frog.png
# A PNG of 256x256: signature, then IHDR width and height.
sig=$(od -An -tx1 -N8 /tmp/frog.png | tr -d ' \n')
size=$(od -An -tu1 -j16 -N8 /tmp/frog.png | awk '{print $3*256+$4 "x" $7*256+$8}')
[ "$sig" = 89504e470d0a1a0a ] && [ "$size" = 256x256 ] || { echo "bad picture: $sig $size"; exit 1; }
echo "== picture: /tmp/frog.png is a ${size} PNG"
/usr/local/bin/storybrush --version
QT_QPA_PLATFORM=offscreen /usr/local/bin/storybrush --screenshot /tmp/studio.png
[ -s /tmp/studio.png ] || { echo "no screenshot"; exit 1; }
/opt/storybrush/uninstall.sh
[ ! -e /opt/storybrush ] && [ ! -e /usr/local/bin/storybrush-cli ] || { echo "uninstall left files"; exit 1; }
echo "== uninstalled cleanly"
# For one user, without root: into ~/.local, with a menu entry, removed again by its uninstaller.
/usr/sbin/useradd -m teacher
/usr/sbin/runuser -u teacher -- sh -c 'sh /tmp/storybrush.run --quiet && ~/.local/bin/storybrush-cli --version &&
  test -f ~/.local/share/applications/org.storybrush.Storybrush.desktop &&
  grep -q "^Exec=\"$HOME/.local/share/storybrush-app/bin/storybrush\"" ~/.local/share/applications/org.storybrush.Storybrush.desktop &&
  ~/.local/share/storybrush-app/uninstall.sh && test ! -e ~/.local/bin/storybrush-cli && test ! -e ~/.local/share/applications/org.storybrush.Storybrush.desktop'
echo "== per-user install, menu entry and uninstall: fine"
CHECK
s=$(date +%s)
unshare -n chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin /bin/sh /tmp/check.sh \
  2>&1 | tee "$work/test-install.log"
rc=${PIPESTATUS[0]}
cp -f "$chroot_dir/tmp/studio.png" "$chroot_dir/tmp/frog.png" "$work/" 2>/dev/null || true
echo "test-install: rc=$rc in $(( $(date +%s) - s )) s; installer $(du -h "$installer" | cut -f1); log $work/test-install.log"
exit "$rc"
