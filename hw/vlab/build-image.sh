#!/usr/bin/env bash
# Builds (once) everything the virtual lab boots: a Debian guest kernel with its modules, a small
# busybox initramfs, test certificates for FreeRADIUS and SSH keys for the APs. Everything lands in
# one cache folder keyed by kernel version; a finished build is marked by a "ready" file, so a second
# run costs nothing. A fresh Debian 12 machine needs only the packages in .ci/debian-packages.txt.
#
# usage: build-image.sh [cache-dir]      (default: <repo>/.lab-cache/vlab)
# prints: the path of the finished image folder on its last line
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${1:-${LAB_CACHE:-$repo/.lab-cache/vlab}}
mkdir -p "$cache"

log() { echo "[build-image] $*" >&2; }

# The kernel is whatever linux-image-amd64 currently depends on: old versions leave the archive, so a
# pinned name would break a fresh machine sooner or later.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
pkg=$(kernel_package)
if [ -z "$pkg" ]; then
  log "apt lists have no linux-image-amd64; running apt-get update"
  apt-get update -qq >&2
  pkg=$(kernel_package)
fi
[ -n "$pkg" ] || { log "cannot resolve the kernel package behind linux-image-amd64"; exit 1; }
kver=${pkg#linux-image-}
out="$cache/$kver"

if [ -f "$out/ready" ]; then
  log "cached: $out"
  echo "$out"
  exit 0
fi

for tool in qemu-system-x86_64 busybox cpio depmod modprobe xz gzip openssl ssh-keygen dropbearkey; do
  command -v "$tool" >/dev/null || { log "missing tool '$tool' (see .ci/debian-packages.txt)"; exit 1; }
done

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cd "$out.tmp"

log "downloading $pkg"
(cd "$out.tmp" && apt-get download "$pkg" >&2 2>/dev/null) || { apt-get update -qq >&2; apt-get download "$pkg" >&2; }
dpkg-deb -x ./*.deb rootfs
rm -f ./*.deb
# Only the module tree is needed; the guest binds it at /lib/modules/<kver> so modprobe just works.
mv rootfs/lib/modules/"$kver" modules
mv rootfs/boot/vmlinuz-"$kver" vmlinuz
rm -rf rootfs
mkdir -p modroot/lib/modules
ln -s ../../../modules modroot/lib/modules/"$kver"
depmod -b modroot "$kver"

# Booting the uncompressed ELF through its PVH entry skips in-guest xz decompression under TCG:
# measured 3.0-3.5 s to a shell instead of 5.9-7.3 s. The xz stream starts at its magic bytes; xz
# complains about the bytes after the stream, which is expected.
offset=$(grep -abo $'\xfd7zXZ\x00' vmlinuz | head -1 | cut -d: -f1)
[ -n "$offset" ] || { log "no xz payload in vmlinuz"; exit 1; }
tail -c +$((offset + 1)) vmlinuz | xz -dc 2>/dev/null > vmlinux || true
head -c 4 vmlinux | grep -q $'\x7fELF' || { log "vmlinux extraction failed"; exit 1; }
rm -f vmlinuz

log "building initramfs"
mkdir -p initrd/{bin,dev,proc,sys,mnt,newroot,modules}
cp /bin/busybox initrd/bin/busybox
for applet in sh mount umount insmod mkdir switch_root poweroff cat echo sleep; do
  ln -s busybox initrd/bin/$applet
done
boot_modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"
: > initrd/modules/order
for m in $boot_modules; do
  modprobe -d modroot -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" initrd/modules/
  echo "$(basename "$ko")" >> initrd/modules/order
done
cp "$here/initramfs-init.sh" initrd/init
chmod +x initrd/init
(cd initrd && find . | cpio -o -H newc --quiet | gzip -9) > initramfs.gz
rm -rf initrd

log "making test certificates and SSH keys"
mkdir -p certs ssh
# Test-only PKI for PEAP: a CA and a server certificate signed by it (never use outside the lab).
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=vlab test CA" \
  -keyout certs/ca.key -out certs/ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=radius.vlab" \
  -keyout certs/server.key -out certs/server.csr 2>/dev/null
printf 'extendedKeyUsage=serverAuth\n' > certs/ext.cnf
openssl x509 -req -in certs/server.csr -CA certs/ca.pem -CAkey certs/ca.key -CAcreateserial \
  -days 3650 -extfile certs/ext.cnf -out certs/server.pem 2>/dev/null
rm -f certs/server.csr certs/ext.cnf
openssl dhparam -dsaparam -out certs/dh 2048 2>/dev/null
# The management client's key, and one pinned host key per AP slot (scenarios use up to 8 APs).
ssh-keygen -q -t ed25519 -N '' -C vlab-manager -f ssh/client
for i in 1 2 3 4 5 6 7 8; do
  dropbearkey -t ed25519 -f ssh/ap$i.hostkey >/dev/null 2>&1
  dropbearkey -y -f ssh/ap$i.hostkey | grep '^ssh-' | awk '{print $1, $2}' > ssh/ap$i.hostkey.pub
done

echo "$kver" > kernel-version
touch ready
cd "$cache"
rm -rf "$out"
mv "$out.tmp" "$out"
# The module tree's symlink is relative, so the folder stays valid after the rename.
log "done: $out"
echo "$out"
