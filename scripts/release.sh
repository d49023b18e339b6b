#!/usr/bin/env bash
# Builds leadbox's release binaries: one static binary (CGO_ENABLED=0: the
# SQLite driver is pure Go) per platform, with the version stamped in
# (`leadbox version` prints it), and their SHA256SUMS.
#
#   scripts/release.sh [VERSION]      # default: git describe, e.g. v1.2.0 or v1.2.0-3-gabc1234
#
# The binaries go to dist/VERSION/leadbox-VERSION-OS-ARCH[.exe]. -trimpath
# and -buildvcs=false keep them free of this machine's paths and the same
# from one build to the next with the same Go toolchain (go.mod names it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The toolchain go.mod names (standard-library security fixes), fetched by
# the go command if need be, unless GOTOOLCHAIN says otherwise.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

version="${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
case "$version" in
  *[!A-Za-z0-9._+-]*) echo "release: version $version: letters, digits and . _ + - only" >&2; exit 1 ;;
esac
targets="${LEADBOX_TARGETS:-linux/amd64 linux/arm64 darwin/arm64 windows/amd64}"
out="dist/$version"
rm -rf "$out"
mkdir -p "$out"
for target in $targets; do
  os="${target%/*}" arch="${target#*/}" ext=""
  [ "$os" = windows ] && ext=".exe"
  name="leadbox-$version-$os-$arch$ext"
  echo "release: $name"
  CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X main.buildVersion=$version" -o "$out/$name" ./cmd/leadbox
done
(cd "$out" && sha256sum leadbox-* >SHA256SUMS)
echo "release: wrote $out:"
cat "$out/SHA256SUMS"
