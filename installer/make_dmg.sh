#!/usr/bin/env bash
# macOS only: package dist/Octo.app as dist/Octo-<version>-macos.dmg.
#
#   bash installer/make_dmg.sh [DIST]     (DIST defaults to dist/)
#
# The disk image holds Octo.app and an "Applications" symlink, so users install
# by dragging the app onto it. Octo keeps its data in
# ~/Library/Application Support/octo, outside the app: replacing or deleting
# Octo.app never touches it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="${1:-$root/dist}"
app="$dist/Octo.app"

if [ "$(uname -s)" != "Darwin" ]; then
    echo "error: make_dmg.sh runs on macOS only (needs hdiutil); this is $(uname -s)" >&2
    exit 2
fi
if [ ! -d "$app" ] || [ ! -x "$app/Contents/MacOS/octo" ]; then
    echo "error: $app (with Contents/MacOS/octo) not found: build it first (python build/build.py on macOS)" >&2
    exit 2
fi

version="$(sed -n -E 's/^__version__[[:space:]]*=[[:space:]]*["'\'']([^"'\'']+)["'\''].*/\1/p' \
    "$root/octo_desktop/__init__.py" | head -n 1)"
if [ -z "$version" ]; then
    echo "error: no __version__ in octo_desktop/__init__.py" >&2
    exit 2
fi
out="$dist/Octo-$version-macos.dmg"

staging="$(mktemp -d "${TMPDIR:-/tmp}/octo-dmg.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

# ditto keeps the bundle's symlinks, permissions, extended attributes and signature.
ditto "$app" "$staging/Octo.app"
ln -s /Applications "$staging/Applications"

rm -f "$out"
hdiutil create -volname Octo -srcfolder "$staging" -ov -format UDZO "$out"

size="$(wc -c < "$out" | tr -d ' ')"
echo "$out  $size bytes"
