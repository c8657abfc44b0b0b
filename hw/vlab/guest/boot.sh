#!/bin/sh
# First program of the lab guest after switch_root (it runs as PID 1 on the host's root with a tmpfs
# overlay). It prepares the few mounts the lab's tools expect, runs the in-guest scenario runner and
# powers the guest off. The runner's job and results travel through the writable share /vlab-out.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
here=$(dirname "$0")
repo=$(cd "$here/../../.." && pwd)

mount -t tmpfs -o mode=755 tmpfs /run
# The host's /tmp stays readable under /mnt/host-tmp: a --hostap-bin build may live there, and a
# checkout under /tmp (CI clones wherever it likes) is bound back to its own path from there.
mkdir -p /mnt/host-tmp && mount --bind /tmp /mnt/host-tmp
mount -t tmpfs tmpfs /tmp
case "$repo/" in /tmp/*) mkdir -p "$repo" && mount --bind "/mnt/host-tmp${repo#/tmp}" "$repo" ;; esac
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up
hostname vlab 2>/dev/null
echo "vlab-guest: up after $(cut -d' ' -f1 /proc/uptime) s"

status=0
if [ -f /vlab-out/job.json ]; then
  node "$repo/dist/hw/vlab/guest/main.js" /vlab-out/job.json
  status=$?
else
  echo "vlab-guest: no /vlab-out/job.json"
  status=2
fi
echo "$status" > /vlab-out/exit-code
echo "vlab-guest: runner exited $status after $(cut -d' ' -f1 /proc/uptime) s"
sync
/bin/busybox poweroff -f
