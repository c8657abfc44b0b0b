#!/usr/bin/env bash
# Builds dist/hostapd-kms_<version>_<arch>.deb from this checkout (run by `npm run package`,
# after `npm run build`). Layout of the package:
#   /usr/lib/hostapd-kms/       dist/{daemon,adapters}, web/, package.json, production node_modules
#                               (better-sqlite3 compiled here), build/Release/af_packet.node
#   /usr/bin/kmsd, /usr/bin/kmsctl   wrappers: node with kmsd's flags (daemon/main/node-flags.ts)
#   /lib/systemd/system/kmsd.service, /usr/lib/sysusers.d/, /usr/lib/tmpfiles.d/, /usr/lib/sysctl.d/
#   /usr/share/doc/hostapd-kms/examples/   kms.yaml, Prometheus rules, Grafana dashboard
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/packaging/deb"
cd "$repo"

version=$(node -p 'require("./package.json").version')
arch=$(dpkg --print-architecture)
changelog_version=$(sed -n '1s/^hostapd-kms (\([^)]*\)).*/\1/p' "$here/changelog")
if [ "$changelog_version" != "$version" ]; then
  echo "packaging/deb/changelog starts with $changelog_version, package.json says $version: add a changelog entry" >&2
  exit 1
fi
[ -f dist/daemon/main/kmsd.js ] || { echo "dist/ is not built: run npm run build first" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
app="$root/usr/lib/hostapd-kms"
mkdir -p "$app/adapters/rrb"

echo "== production node_modules (npm ci --omit=dev, native addons compiled from source)"
# binding.gyp and the addon's C source make npm build build/Release/af_packet.node here.
cp package.json package-lock.json binding.gyp "$app/"
cp -r adapters/rrb/native "$app/adapters/rrb/"
(cd "$app" && npm_config_build_from_source=true npm ci --omit=dev --no-audit --no-fund --loglevel=error)
# Keep the compiled addons (each build/Release/*.node), drop what only the compilers needed:
# object files, makefiles, sources, and better-sqlite3's test extension.
find "$app" -type d -path '*/build/Release' | while read -r release; do
  find "$release/.." -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$release" -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +
done
rm -f "$app/node_modules/better-sqlite3/build/Release/test_extension.node"
rm -rf "$app/binding.gyp" "$app/adapters" "$app/package-lock.json" "$app/node_modules/.bin" "$app/node_modules/.package-lock.json"
for module in "$app"/node_modules/*/build/Release/../..; do rm -rf "$module/deps" "$module/src"; done
# Dotfiles (linter, npm, git and hook configs), tests and HTML docs of the dependencies.
find "$app/node_modules" -name '.*' -prune -exec rm -rf {} +
find "$app/node_modules" \( -name test -o -name tests -o -name '*.html' \) -prune -exec rm -rf {} +
# As dh_strip does: the addons lose their symbol tables (the dynamic symbols stay).
find "$app" -name '*.node' -exec strip --remove-section=.comment --remove-section=.note --strip-unneeded {} +

echo "== the built tree"
mkdir -p "$app/dist"
cp -r dist/daemon dist/adapters "$app/dist/"
# The dashboard's files, beside dist/ where daemon/api/dashboard.ts looks for them.
cp -r web "$app/"
find "$app/dist" -name '*.map' -delete
# The wrappers below start these two; a #! line in a module under /usr/lib is only lintian noise.
sed -i '1s|^#!.*|// started by /usr/bin/kmsd or /usr/bin/kmsctl|' "$app/dist/daemon/main/kmsd.js" "$app/dist/daemon/cli/kmsctl.js"

echo "== kmsd and kmsctl on PATH"
flags=$(node --input-type=module -e 'import("./dist/daemon/main/node-flags.js").then((m) => console.log(m.KMSD_NODE_FLAGS.join(" ")))')
mkdir -p "$root/usr/bin"
wrapper() { # name, node flags, script under /usr/lib/hostapd-kms
  printf '#!/bin/sh\n# %s from the hostapd-kms package.\nexec /usr/bin/node %s/usr/lib/hostapd-kms/%s "$@"\n' \
    "$1" "${2:+$2 }" "$3" > "$root/usr/bin/$1"
}
wrapper kmsd "$flags" dist/daemon/main/kmsd.js
wrapper kmsctl "" dist/daemon/cli/kmsctl.js

echo "== systemd unit, sysusers, tmpfiles, sysctl"
install -D -m 0644 systemd/kmsd.service "$root/lib/systemd/system/kmsd.service"
install -D -m 0644 systemd/hostapd-kms.sysusers.conf "$root/usr/lib/sysusers.d/hostapd-kms.conf"
install -D -m 0644 systemd/hostapd-kms.tmpfiles.conf "$root/usr/lib/tmpfiles.d/hostapd-kms.conf"
install -D -m 0644 systemd/hostapd-kms.sysctl.conf "$root/usr/lib/sysctl.d/60-hostapd-kms.conf"

echo "== documentation and examples"
doc="$root/usr/share/doc/hostapd-kms"
install -D -m 0644 examples/kms.yaml "$doc/examples/kms.yaml"
install -D -m 0644 monitoring/prometheus/kms-alerts.yml "$doc/examples/prometheus/kms-alerts.yml"
install -D -m 0644 monitoring/grafana/kms-dashboard.json "$doc/examples/grafana/kms-dashboard.json"
gzip -9n < "$here/changelog" > "$doc/changelog.gz"
install -D -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/hostapd-kms"
{
  cat "$here/copyright.head"
  node -e '
    const { readdirSync, readFileSync } = require("fs");
    const dir = process.argv[1];
    const names = readdirSync(dir).flatMap((n) => n.startsWith("@") ? readdirSync(`${dir}/${n}`).map((m) => `${n}/${m}`) : [n]);
    for (const n of names.filter((n) => !n.startsWith("."))) {
      const p = JSON.parse(readFileSync(`${dir}/${n}/package.json`, "utf8"));
      console.log(`  ${n} ${p.version}: ${p.license ?? "see its LICENSE file"}`);
    }' "$app/node_modules"
} > "$doc/copyright"

echo "== permissions, control files"
# 0755/0644, keeping the execute bit npm gave the dependencies' own scripts.
chmod -R u=rwX,go=rX "$root"
find "$root" -name '*.node' -exec chmod 0644 {} +
find "$app/node_modules" -type f -perm -u+x ! -name '*.node' | while read -r f; do
  [ "$(head -c2 "$f")" = '#!' ] || chmod a-x "$f"
done
chmod 0755 "$root/usr/bin/kmsd" "$root/usr/bin/kmsctl"
mkdir -p "$root/DEBIAN"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"

# Libraries the compiled addons link against, as dpkg-shlibdeps finds them (it wants a
# debian/control beside it, hence the scratch directory). Its warnings name the N-API and V8
# symbols the addons take from the node binary itself, which no library provides.
shlib_dir=$(mktemp -d)
mkdir "$shlib_dir/debian"
printf 'Source: hostapd-kms\n\nPackage: hostapd-kms\nArchitecture: any\n' > "$shlib_dir/debian/control"
shlibs=$(cd "$shlib_dir" && find "$app" -name '*.node' -exec printf -- '-e%s\n' {} + | xargs dpkg-shlibdeps -O 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlib_dir"
[ -n "$shlibs" ] || { echo "dpkg-shlibdeps found no libraries for the addons" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
  "$here/control.in" > "$root/DEBIAN/control"

out="dist/hostapd-kms_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "== built $out ($(du -k "$out" | cut -f1) KiB; installed $size KiB)"
