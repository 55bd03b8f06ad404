"""Zip the Windows one-folder build into a portable archive.

    python installer/make_portable_zip.py [--dist DIST] [--out-dir DIR]

Reads DIST/Octo/ (default: dist/Octo/, made by build/build.py on Windows) and
writes DIR/Octo-<version>-windows-portable.zip (DIR defaults to DIST), whose
single top folder is Octo-<version>/ with the build's files plus a README.txt.

Deterministic: entries in sorted order, fixed permissions, and every entry
stamped with SOURCE_DATE_EPOCH when set (else the newest file's mtime).
Stdlib only; runs on any OS. Exit 2 when the build folder is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # installer/version.py, also when imported by path
from version import read_version  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = "Octo"
EXES = ("Octo.exe", "octo-cli.exe")

README = """\
Octo {version} - portable build for Windows (64-bit)
====================================================

Octo is a desktop terminal for cross-venue crypto arbitrage. It trades on
PAPER ONLY: it never places real orders and needs no exchange API keys.

Run
---
1. Unzip this folder anywhere you like (your Desktop, a USB stick, ...).
   No installation and no admin rights are needed.
2. Double-click Octo.exe to open the terminal.

Command line
------------
octo-cli.exe is the same program for a console (cmd or PowerShell), e.g.

    octo-cli.exe --help
    octo-cli.exe --headless --seconds 60 --json
    octo-cli.exe config path

Your data
---------
Octo keeps its database, logs and config.toml in

    %LOCALAPPDATA%\\octo

(for example C:\\Users\\you\\AppData\\Local\\octo), not in this folder. Deleting
this folder removes the program but keeps your data; delete that folder too
to remove everything.
"""


def _zip_time(epoch: float) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(max(epoch, 315532800))  # zip dates start at 1980-01-01
    return t[:6]


def _info(name: str, date_time, mode: int, is_dir: bool = False) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time)
    zi.create_system = 3  # unix, so the modes below are honoured by unzip
    zi.external_attr = (mode << 16) | (0x10 if is_dir else 0)
    zi.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
    return zi


def make_zip(app: Path, out_dir: Path, version: str) -> Path:
    top = f"Octo-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{top}-windows-portable.zip"

    files: list[Path] = []
    dirs: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(app):
        dirnames.sort()
        base = Path(dirpath)
        dirs.extend(base / d for d in dirnames)
        files.extend(base / f for f in filenames)
    rel = lambda p: p.relative_to(app).as_posix()  # noqa: E731
    files = [f for f in files if rel(f) != "README.txt"]  # ours replaces any stray one

    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde:
        epoch = float(int(sde))
    else:
        epoch = max((p.stat().st_mtime for p in files), default=0.0)
    stamp = _zip_time(epoch)

    entries: list[tuple[str, Path | None]] = [(f"{top}/", None)]
    entries += [(f"{top}/{rel(d)}/", None) for d in dirs]
    entries += [(f"{top}/{rel(f)}", f) for f in files]
    entries.append((f"{top}/README.txt", None))
    entries.sort(key=lambda e: e[0])

    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, src in entries:
            if name.endswith("/"):
                zf.writestr(_info(name, stamp, 0o40755, is_dir=True), b"")
            elif src is None:  # README.txt
                text = README.format(version=version).replace("\n", "\r\n")
                zf.writestr(_info(name, stamp, 0o100644), text.encode("utf-8"))
            else:
                mode = 0o100755 if src.suffix.lower() in (".exe", ".dll", ".pyd") else 0o100644
                with src.open("rb") as fin, zf.open(_info(name, stamp, mode), "w") as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "dist",
                    help="folder holding the Octo/ build (default: dist)")
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="where to write the zip (default: the --dist folder)")
    args = ap.parse_args(argv)

    app = args.dist / APP_DIR
    if not app.is_dir():
        print(f"error: {app} not found: build it first (python build/build.py on Windows)",
              file=sys.stderr)
        return 2
    missing = [e for e in EXES if not (app / e).is_file()]
    if missing:
        print(f"error: {app} lacks {', '.join(missing)}: not a complete Windows build",
              file=sys.stderr)
        return 2

    out = make_zip(app, args.out_dir or args.dist, read_version())
    print(f"{out}  {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
