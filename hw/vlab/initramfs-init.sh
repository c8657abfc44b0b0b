#!/bin/sh
# /init of the lab's initramfs (busybox). It turns the host's root file system, shared read-only over
# 9p, into the guest's root with a tmpfs overlay on top: the guest can write anywhere and nothing
# reaches the host, except through the second, writable share mounted at /vlab-out.
# Kernel command line: vlab_image=<host path of the image folder> vlab_script=<host path> [vlab_args=...]

fail() { echo "vlab-init: $*"; sleep 1; poweroff -f; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

for m in $(cat /modules/order); do insmod /modules/"$m" || fail "insmod $m"; done

image= script=
for word in $(cat /proc/cmdline); do
  case "$word" in
    vlab_image=*) image=${word#vlab_image=} ;;
    vlab_script=*) script=${word#vlab_script=} ;;
  esac
done
[ -n "$image" ] && [ -n "$script" ] || fail "vlab_image/vlab_script missing on the command line"

mkdir -p /mnt/lower /mnt/rw
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /mnt/lower \
  || fail "cannot mount the host root over 9p"
mount -t tmpfs -o size=70% tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /newroot \
  || fail "cannot mount the overlay root"

mkdir -p /newroot/vlab-out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /newroot/vlab-out || fail "cannot mount the results share"

kver=$(cat /newroot"$image"/kernel-version)
mkdir -p /newroot/lib/modules/"$kver"
mount -o bind /newroot"$image"/modules /newroot/lib/modules/"$kver" || fail "cannot bind the modules"

mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev

exec switch_root /newroot /bin/sh "$script"
