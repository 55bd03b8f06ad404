"""Package the Linux build as a tarball with a per-user installer.

    python installer/make_linux.py [--folder dist/Octo | --binary dist/octo]
                                   [--out-dir dist] [--icon assets/octo.png]

Writes OUT_DIR/octo-<version>-linux-x86_64.tar.gz holding one top folder
octo-<version>/. With ``--folder`` (the default) it packs the unpacked
("onedir") build made by ``python build/build.py --onedir``:

    README.txt    how to run and install, where the data lives
    _internal/    the program's libraries and data, as built
    install.sh    per-user install into ~/.local (``--uninstall`` undoes it)
    octo          the executable (mode 0755)
    octo.desktop  freedesktop menu entry
    octo.png      256x256 icon

The folder build starts about a second faster than the one-file binary, which
unpacks itself into a temporary folder at every launch. ``--binary`` packs a
one-file build instead (the same files without ``_internal/``).

The folder's content is kept as is: files are 0755 when executable in the
build and 0644 otherwise, folders 0755, symlinks stay symlinks (they must point
inside the folder). Deterministic: sorted entries, uid/gid 0 owned by root, and
every mtime (and the gzip header's) set to SOURCE_DATE_EPOCH when set, else to
the executable's mtime. Stdlib only. Exit 2 when the build or icon is missing.

No AppImage: building one needs the AppImage runtime and appimagetool, which
neither PyPI nor Debian ships (the PyPI tools download them from GitHub at run
time), so this script does not offer it.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import posixpath
import stat
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # installer/version.py, also when imported by path
from version import read_version  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

DESKTOP = """\
[Desktop Entry]
Type=Application
Version=1.4
Name=Octo
GenericName=Arbitrage Terminal
Comment=Cross-venue crypto arbitrage terminal, trading on paper only
Exec=octo
Icon=octo
Terminal=false
Categories=Office;Finance;
Keywords=crypto;arbitrage;trading;paper;
"""

INSTALL_SH = r"""#!/bin/sh
# Per-user install of Octo {version}: no root needed.
#
#   sh install.sh              install (or upgrade)
#   sh install.sh --uninstall  remove what install.sh installed
#
# From the folder build (octo and _internal/ next to this script) it installs:
#   ~/.local/lib/octo/            the program folder (octo and _internal/)
#   ~/.local/bin/octo             a symlink to ~/.local/lib/octo/octo
# From a one-file build (no _internal/ here) it installs instead:
#   ~/.local/bin/octo             the binary
# and in both cases:
#   ~/.local/share/icons/hicolor/256x256/apps/octo.png
#   ~/.local/share/applications/octo.desktop
# (~/.local/share is $XDG_DATA_HOME when that is set.)
# The folder build starts faster: it is not unpacked at each launch. An upgrade
# copies the new folder next to the old one, then swaps them, so old and new
# _internal/ files never mix (quit Octo before upgrading).
# --uninstall removes exactly those (the symlink or binary, the program folder,
# the icon and the menu entry) and nothing else: your data in ~/.local/share/octo
# and ~/.config/octo is never touched.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
data_home=${{XDG_DATA_HOME:-$HOME/.local/share}}
bin_dir=$HOME/.local/bin
lib_dir=$HOME/.local/lib
icon_dir=$data_home/icons/hicolor/256x256/apps
apps_dir=$data_home/applications

bin=$bin_dir/octo
prog=$lib_dir/octo
icon=$icon_dir/octo.png
desktop=$apps_dir/octo.desktop

usage() {{
    echo "usage: sh install.sh [--uninstall]"
}}

case "${{1:-}}" in
    "")
        mkdir -p "$bin_dir" "$icon_dir" "$apps_dir"
        if [ -d "$here/_internal" ]; then
            # Folder build: copy to a temporary sibling, then swap it in.
            mkdir -p "$lib_dir"
            new=$lib_dir/.octo.new.$$
            old=$lib_dir/.octo.old.$$
            trap 'rm -rf "$new" "$old"' EXIT
            trap 'exit 1' HUP INT TERM
            rm -rf "$new" "$old"
            mkdir "$new"
            cp -RP "$here/octo" "$here/_internal" "$new/"
            chmod 0755 "$new" "$new/octo"
            if [ -e "$prog" ] || [ -L "$prog" ]; then
                mv -f "$prog" "$old"
            fi
            if ! mv -f "$new" "$prog"; then
                if [ -e "$old" ]; then mv -f "$old" "$prog"; fi
                exit 1
            fi
            rm -rf "$old"
            ln -s "$prog/octo" "$bin.tmp.$$"
            mv -f "$bin.tmp.$$" "$bin"
            installed="$prog/
  $bin -> $prog/octo"
        else
            # One-file build. Copy to a temporary name, then rename: safe while
            # an old octo runs.
            cp "$here/octo" "$bin.tmp.$$"
            chmod 0755 "$bin.tmp.$$"
            mv -f "$bin.tmp.$$" "$bin"
            rm -rf "$prog"  # a folder build installed before
            installed=$bin
        fi
        cp "$here/octo.png" "$icon"
        chmod 0644 "$icon"
        # The menu entry runs the program by absolute path: a desktop session's
        # PATH often lacks ~/.local/bin.
        sed "s|^Exec=octo\$|Exec=\"$bin\"|" "$here/octo.desktop" > "$desktop"
        chmod 0644 "$desktop"
        echo "Installed Octo {version}:"
        echo "  $installed"
        echo "  $icon"
        echo "  $desktop"
        case ":${{PATH:-}}:" in
            *":$bin_dir:"*) ;;
            *) echo "Note: $bin_dir is not on your PATH; add it to run 'octo' from a terminal." ;;
        esac
        echo "Your data stays in $data_home/octo. Uninstall with: sh install.sh --uninstall"
        ;;
    --uninstall)
        rm -f "$bin" "$icon" "$desktop"
        rm -rf "$prog"
        echo "Removed Octo's program, icon and menu entry."
        echo "Your data in $data_home/octo and ~/.config/octo was kept; delete those folders yourself to remove it."
        ;;
    -h|--help)
        usage
        ;;
    *)
        usage >&2
        exit 2
        ;;
esac
"""

README = """\
Octo {version} for Linux (x86_64)
================================

Octo is a desktop terminal for cross-venue crypto arbitrage. It trades on
PAPER ONLY: it never places real orders and needs no exchange API keys.

Run without installing
----------------------
    ./octo                  open the terminal (simulated market)
    ./octo --help           every command and option
    ./octo --headless --seconds 60 --json
{layout}
Install for your user (no root)
-------------------------------
    sh install.sh

{install}
    sh install.sh --uninstall

removes exactly those.

Your data
---------
The database and logs live in ~/.local/share/octo, the settings in
~/.config/octo/config.toml (the XDG folders, when set, take precedence).
Uninstalling never deletes them: remove those folders yourself to erase
everything.
"""

README_FOLDER_LAYOUT = """
This is the program folder: `octo` needs the `_internal` folder next to it,
so keep them together. It starts about a second faster than the one-file
binary, because it is not unpacked into a temporary folder at each launch.
"""

README_FOLDER_INSTALL = """\
copies the program folder (octo and _internal/) to ~/.local/lib/octo, makes
~/.local/bin/octo a symlink to ~/.local/lib/octo/octo, and installs the icon
as ~/.local/share/icons/hicolor/256x256/apps/octo.png and a menu entry as
~/.local/share/applications/octo.desktop, so Octo shows up in your desktop's
application menu. Make sure ~/.local/bin is on your PATH to run `octo` from a
terminal. Running it again upgrades: the old program folder is replaced as a
whole (quit Octo first).
"""

README_BINARY_INSTALL = """\
copies the program to ~/.local/bin/octo, the icon to
~/.local/share/icons/hicolor/256x256/apps/octo.png and a menu entry to
~/.local/share/applications/octo.desktop, so Octo shows up in your desktop's
application menu. Make sure ~/.local/bin is on your PATH to run `octo` from a
terminal.
"""

# The files the tarball adds next to the build's own.
EXTRAS = ("README.txt", "install.sh", "octo.desktop", "octo.png")


class PackError(Exception):
    """The build cannot be packed as it is (exit 2)."""


def _tarinfo(name: str, size: int, mode: int, mtime: int, kind: bytes = tarfile.REGTYPE,
             linkname: str = "") -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = size if kind == tarfile.REGTYPE else 0
    ti.mode = mode
    ti.mtime = mtime
    ti.linkname = linkname
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


# One tarball entry, by path relative to the top folder:
#   ("dir", None, 0o755) | ("file", Path or bytes, mode) | ("link", target, 0o777)
Entry = tuple[str, "Path | bytes | str | None", int]


def folder_entries(folder: Path) -> dict[str, Entry]:
    """The folder's content as entries: modes normalised, symlinks kept (inside the folder only)."""
    entries: dict[str, Entry] = {}
    top = folder.resolve()

    def walk(d: Path, rel: str) -> None:
        for item in sorted(os.scandir(d), key=lambda e: e.name):
            name = f"{rel}/{item.name}" if rel else item.name
            st = item.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(item.path)
                resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                if posixpath.isabs(target) or resolved == ".." or resolved.startswith("../"):
                    raise PackError(f"symlink {item.path} -> {target} points outside {folder}")
                entries[name] = ("link", target, 0o777)
            elif stat.S_ISDIR(st.st_mode):
                entries[name] = ("dir", None, 0o755)
                walk(Path(item.path), name)
            elif stat.S_ISREG(st.st_mode):
                entries[name] = ("file", Path(item.path), 0o755 if st.st_mode & 0o111 else 0o644)
            else:
                raise PackError(f"{item.path} is not a file, folder or symlink")

    walk(top, "")
    entries["octo"] = ("file", top / "octo", 0o755)  # the program, whatever its mode
    return entries


def make_tarball(build: Path, icon: Path, out_dir: Path, version: str) -> Path:
    """Pack ``build`` (a one-file binary, or an onedir folder holding ``octo``) into the tarball."""
    top = f"octo-{version}"
    is_folder = build.is_dir()
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    mtime = int(sde) if sde else int((build / "octo" if is_folder else build).stat().st_mtime)

    if is_folder:
        entries = folder_entries(build)
        clash = sorted(set(entries) & set(EXTRAS))
        if clash:
            raise PackError(f"{build} already holds {', '.join(clash)}, which the tarball adds")
        readme = README.format(version=version, layout=README_FOLDER_LAYOUT,
                               install=README_FOLDER_INSTALL)
    else:
        entries = {"octo": ("file", build, 0o755)}
        readme = README.format(version=version, layout="", install=README_BINARY_INSTALL)
    entries.update({
        "README.txt": ("file", readme.encode(), 0o644),
        "install.sh": ("file", INSTALL_SH.format(version=version).encode(), 0o755),
        "octo.desktop": ("file", DESKTOP.encode(), 0o644),
        "octo.png": ("file", icon, 0o644),
    })

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{top}-linux-x86_64.tar.gz"
    tmp = out.with_name(out.name + ".tmp")
    try:
        with open(tmp, "wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=9) as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_tarinfo(f"{top}/", 0, 0o755, mtime, tarfile.DIRTYPE))
            # Sort by path components so a folder always comes right before its content.
            for rel in sorted(entries, key=lambda r: r.split("/")):
                kind, src, mode = entries[rel]
                name = f"{top}/{rel}"
                if kind == "dir":
                    tar.addfile(_tarinfo(name + "/", 0, mode, mtime, tarfile.DIRTYPE))
                elif kind == "link":
                    tar.addfile(_tarinfo(name, 0, mode, mtime, tarfile.SYMTYPE, linkname=src))
                elif isinstance(src, bytes):
                    tar.addfile(_tarinfo(name, len(src), mode, mtime), io.BytesIO(src))
                else:
                    with src.open("rb") as f:
                        tar.addfile(_tarinfo(name, os.fstat(f.fileno()).st_size, mode, mtime), f)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--folder", type=Path,
                       help="the onedir build, holding octo and _internal/ (default: dist/Octo)")
    which.add_argument("--binary", type=Path,
                       help="a one-file build to pack instead, e.g. dist/octo")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "dist",
                    help="where to write the tarball (default: dist)")
    ap.add_argument("--icon", type=Path, default=ROOT / "assets" / "octo.png",
                    help="256x256 PNG icon (default: assets/octo.png)")
    args = ap.parse_args(argv)

    if args.binary is not None:
        build = args.binary
        if not build.is_file():
            print(f"error: {build} not found: build it first (python build/build.py on Linux)",
                  file=sys.stderr)
            return 2
    else:
        build = args.folder if args.folder is not None else ROOT / "dist" / "Octo"
        if not build.is_dir():
            print(f"error: folder {build} not found: build it first "
                  "(python build/build.py --onedir on Linux)", file=sys.stderr)
            return 2
        if not (build / "octo").is_file():
            print(f"error: {build / 'octo'} not found: {build} is not an onedir build "
                  "(python build/build.py --onedir on Linux)", file=sys.stderr)
            return 2
    if not args.icon.is_file():
        print(f"error: icon {args.icon} not found: run python assets/make_icons.py",
              file=sys.stderr)
        return 2

    try:
        out = make_tarball(build, args.icon, args.out_dir, read_version())
    except PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{out}  {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
