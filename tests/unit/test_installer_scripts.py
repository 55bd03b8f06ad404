"""The packaging scripts in installer/, the Inno Setup script, the release workflow and the icons.

Everything runs on fake builds in tmp_path: no PyInstaller, no network.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
VERSION = re.search(r'^__version__\s*=\s*"([^"]+)"',
                    (ROOT / "octo_desktop" / "__init__.py").read_text(), re.M).group(1)
EPOCH = "1700000000"


def run(args, env=None, cwd=None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    full_env.update(env or {})
    return subprocess.run(args, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=60)


# --- Linux tarball -------------------------------------------------------------------------------

@pytest.fixture
def fake_binary(tmp_path: Path) -> Path:
    binary = tmp_path / "build" / "octo"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\necho fake octo running\n")
    binary.chmod(0o644)  # the tarball must make it executable anyway
    return binary


def make_linux(binary: Path, out_dir: Path) -> Path:
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--binary", str(binary),
             "--out-dir", str(out_dir)], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert r.returncode == 0, r.stderr
    out = out_dir / f"octo-{VERSION}-linux-x86_64.tar.gz"
    assert str(out) in r.stdout and "bytes" in r.stdout
    return out


def test_linux_tarball_members_and_modes(tmp_path, fake_binary):
    out = make_linux(fake_binary, tmp_path / "dist")
    top = f"octo-{VERSION}"
    with tarfile.open(out) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [
            top, f"{top}/README.txt", f"{top}/install.sh", f"{top}/octo",
            f"{top}/octo.desktop", f"{top}/octo.png",
        ]
        modes = {m.name.removeprefix(top + "/"): stat.S_IMODE(m.mode) for m in members}
        assert modes == {top: 0o755, "README.txt": 0o644, "install.sh": 0o755, "octo": 0o755,
                         "octo.desktop": 0o644, "octo.png": 0o644}
        for m in members:
            assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "root", "root")
            assert m.mtime == int(EPOCH)
        assert members[0].isdir() and all(m.isfile() for m in members[1:])
        assert tar.extractfile(f"{top}/octo").read() == fake_binary.read_bytes()
        assert tar.extractfile(f"{top}/octo.png").read() == (ROOT / "assets" / "octo.png").read_bytes()
        desktop = tar.extractfile(f"{top}/octo.desktop").read().decode()
        readme = tar.extractfile(f"{top}/README.txt").read().decode()

    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # keys are case-sensitive
    cp.read_string(desktop)
    entry = cp["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Octo"
    assert entry["Comment"]
    assert entry["Exec"] == "octo"
    assert entry["Icon"] == "octo"
    assert entry["Terminal"] == "false"
    assert entry["Categories"] == "Office;Finance;"

    assert "paper" in readme.lower() and "~/.local/share/octo" in readme and "install.sh" in readme


def test_linux_tarball_is_reproducible(tmp_path, fake_binary):
    a = make_linux(fake_binary, tmp_path / "a")
    b = make_linux(fake_binary, tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_linux_missing_binary_exits_2(tmp_path):
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--binary", str(tmp_path / "nope"),
             "--out-dir", str(tmp_path)])
    assert r.returncode == 2
    assert "not found" in r.stderr
    assert not list(tmp_path.iterdir())


def _files_under(home: Path) -> set[str]:
    return {p.relative_to(home).as_posix() for p in home.rglob("*") if not p.is_dir()}


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_install_sh_installs_and_uninstalls_only_its_files(tmp_path, fake_binary):
    out = make_linux(fake_binary, tmp_path / "dist")
    with tarfile.open(out) as tar:
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # 3.11.4+
        tar.extractall(tmp_path / "x", **kwargs)
    pkg = tmp_path / "x" / f"octo-{VERSION}"

    home = tmp_path / "home"
    db = home / ".local" / "share" / "octo" / "octo.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"paper trades")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)

    def sh(*args):
        r = subprocess.run(["sh", "install.sh", *args], cwd=pkg, env=env, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r

    installed = {
        ".local/bin/octo",
        ".local/share/icons/hicolor/256x256/apps/octo.png",
        ".local/share/applications/octo.desktop",
    }
    sh()
    assert _files_under(home) == installed | {".local/share/octo/octo.db"}
    binary = home / ".local" / "bin" / "octo"
    assert stat.S_IMODE(binary.stat().st_mode) == 0o755
    assert subprocess.run([str(binary)], capture_output=True, text=True).stdout == "fake octo running\n"
    desktop = (home / ".local/share/applications/octo.desktop").read_text()
    assert f'Exec="{binary}"' in desktop and "Icon=octo" in desktop

    sh()  # upgrading over an existing install works
    assert _files_under(home) == installed | {".local/share/octo/octo.db"}

    sh("--uninstall")
    assert _files_under(home) == {".local/share/octo/octo.db"}
    assert db.read_bytes() == b"paper trades"

    r = subprocess.run(["sh", "install.sh", "--bogus"], cwd=pkg, env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "usage" in r.stderr


# --- Linux tarball of the folder (onedir) build --------------------------------------------------

@pytest.fixture
def fake_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "onedir" / "Octo"
    (folder / "_internal" / "sub").mkdir(parents=True)
    exe = folder / "octo"
    # Like PyInstaller's bootloader, find _internal/ next to the real executable, through symlinks.
    exe.write_text('#!/bin/sh\nhere=$(dirname -- "$(readlink -f -- "$0")")\n'
                   'echo "fake folder octo $(cat "$here/_internal/data.txt")"\n')
    exe.chmod(0o755)
    lib = folder / "_internal" / "lib.so"
    lib.write_bytes(b"\x7fELF fake")
    lib.chmod(0o755)
    data = folder / "_internal" / "data.txt"
    data.write_text("v1")
    data.chmod(0o644)
    return folder


def make_linux_folder(folder: Path, out_dir: Path, *extra: str) -> Path:
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--folder", str(folder),
             "--out-dir", str(out_dir), *extra], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert r.returncode == 0, r.stderr
    out = out_dir / f"octo-{VERSION}-linux-x86_64.tar.gz"
    assert str(out) in r.stdout and "bytes" in r.stdout
    return out


def _extract(tarball: Path, dest: Path) -> Path:
    with tarfile.open(tarball) as tar:
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # 3.11.4+
        tar.extractall(dest, **kwargs)
    return dest / f"octo-{VERSION}"


def test_linux_folder_tarball_members_and_modes(tmp_path, fake_folder):
    (fake_folder / "_internal" / "link.so").symlink_to("lib.so")
    out = make_linux_folder(fake_folder, tmp_path / "dist")
    top = f"octo-{VERSION}"
    with tarfile.open(out) as tar:
        members = tar.getmembers()
        names = [m.name.removeprefix(top + "/") for m in members]
        assert names == [top, "README.txt", "_internal", "_internal/data.txt", "_internal/lib.so",
                         "_internal/link.so", "_internal/sub", "install.sh", "octo",
                         "octo.desktop", "octo.png"]
        by_name = dict(zip(names, members))
        modes = {n: stat.S_IMODE(m.mode) for n, m in by_name.items() if not m.issym()}
        assert modes == {top: 0o755, "README.txt": 0o644, "_internal": 0o755,
                         "_internal/data.txt": 0o644, "_internal/lib.so": 0o755,
                         "_internal/sub": 0o755, "install.sh": 0o755, "octo": 0o755,
                         "octo.desktop": 0o644, "octo.png": 0o644}
        assert {n for n, m in by_name.items() if m.isdir()} == {top, "_internal", "_internal/sub"}
        assert by_name["_internal/link.so"].issym()
        assert by_name["_internal/link.so"].linkname == "lib.so"
        for m in members:
            assert (m.uid, m.gid, m.uname, m.gname) == (0, 0, "root", "root")
            assert m.mtime == int(EPOCH)
        assert tar.extractfile(f"{top}/_internal/lib.so").read() == b"\x7fELF fake"
        readme = tar.extractfile(f"{top}/README.txt").read().decode()
    assert "~/.local/lib/octo" in readme and "_internal" in readme and "faster" in readme
    assert "~/.local/share/octo" in readme and "paper" in readme.lower()


def test_linux_folder_is_the_default_and_reproducible(tmp_path, fake_folder, monkeypatch):
    a = make_linux_folder(fake_folder, tmp_path / "a")
    b = make_linux_folder(fake_folder, tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()

    # Without --folder or --binary it packs ROOT/dist/Octo.
    spec = importlib.util.spec_from_file_location("make_linux", INSTALLER / "make_linux.py")
    make_linux_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_linux_mod)
    fake_root = tmp_path / "root"
    shutil.copytree(fake_folder, fake_root / "dist" / "Octo", symlinks=True)
    (fake_root / "dist" / "Octo" / "octo").touch()  # mtime differs: SOURCE_DATE_EPOCH must win
    monkeypatch.setattr(make_linux_mod, "ROOT", fake_root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    icon = str(ROOT / "assets" / "octo.png")
    assert make_linux_mod.main(["--out-dir", str(tmp_path / "c"), "--icon", icon]) == 0
    assert (tmp_path / "c" / a.name).read_bytes() == a.read_bytes()


def test_linux_folder_and_binary_are_exclusive(tmp_path, fake_folder, fake_binary):
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--folder", str(fake_folder),
             "--binary", str(fake_binary), "--out-dir", str(tmp_path / "out")])
    assert r.returncode == 2 and "not allowed with" in r.stderr
    assert not (tmp_path / "out").exists()


def test_linux_folder_missing_exits_2(tmp_path, fake_folder):
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--folder", str(tmp_path / "nope"),
             "--out-dir", str(tmp_path / "out")])
    assert r.returncode == 2 and "not found" in r.stderr
    (fake_folder / "octo").unlink()
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--folder", str(fake_folder),
             "--out-dir", str(tmp_path / "out")])
    assert r.returncode == 2 and "octo not found" in r.stderr
    assert not (tmp_path / "out").exists()


def test_linux_folder_rejects_links_outside(tmp_path, fake_folder):
    (fake_folder / "_internal" / "escape").symlink_to("../../elsewhere")
    r = run([sys.executable, str(INSTALLER / "make_linux.py"), "--folder", str(fake_folder),
             "--out-dir", str(tmp_path / "out")])
    assert r.returncode == 2 and "outside" in r.stderr
    assert not list((tmp_path / "out").glob("*"))


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_linux_folder_tarball_runs_unpacked(tmp_path, fake_folder):
    pkg = _extract(make_linux_folder(fake_folder, tmp_path / "dist"), tmp_path / "x")
    r = subprocess.run([str(pkg / "octo")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "fake folder octo v1\n"


@pytest.mark.parametrize("shell", ["sh", "dash"])
def test_install_sh_folder_install_upgrade_uninstall(tmp_path, fake_folder, shell):
    if shutil.which(shell) is None:
        pytest.skip(f"needs {shell}")
    pkg = _extract(make_linux_folder(fake_folder, tmp_path / "dist"), tmp_path / "x")

    home = tmp_path / "home"
    db = home / ".local" / "share" / "octo" / "octo.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"paper trades")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)

    def sh(pkg_dir: Path, *args):
        r = subprocess.run([shell, "install.sh", *args], cwd=pkg_dir, env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r

    installed = {
        ".local/bin/octo",
        ".local/lib/octo/octo",
        ".local/lib/octo/_internal/data.txt",
        ".local/lib/octo/_internal/lib.so",
        ".local/share/icons/hicolor/256x256/apps/octo.png",
        ".local/share/applications/octo.desktop",
    }
    sh(pkg)
    assert _files_under(home) == installed | {".local/share/octo/octo.db"}
    prog = home / ".local" / "lib" / "octo"
    assert (prog / "_internal" / "sub").is_dir()
    assert sorted(p.name for p in prog.parent.iterdir()) == ["octo"]
    link = home / ".local" / "bin" / "octo"
    assert link.is_symlink() and os.readlink(link) == str(prog / "octo")
    assert stat.S_IMODE((prog / "octo").stat().st_mode) == 0o755
    assert stat.S_IMODE((prog / "_internal" / "lib.so").stat().st_mode) & 0o111
    assert not stat.S_IMODE((prog / "_internal" / "data.txt").stat().st_mode) & 0o111
    run_it = subprocess.run([str(link)], capture_output=True, text=True, timeout=30)
    assert run_it.stdout == "fake folder octo v1\n"
    desktop = (home / ".local/share/applications/octo.desktop").read_text()
    assert f'Exec="{link}"' in desktop and "Icon=octo" in desktop

    # Upgrade from a newer build: data.txt changed, an old file gone, a new one added.
    (fake_folder / "_internal" / "data.txt").write_text("v2")
    (fake_folder / "_internal" / "lib.so").unlink()
    (fake_folder / "_internal" / "new.so").write_bytes(b"new")
    pkg2 = _extract(make_linux_folder(fake_folder, tmp_path / "dist2"), tmp_path / "x2")
    sh(pkg2)
    upgraded = (installed - {".local/lib/octo/_internal/lib.so"}) | {".local/lib/octo/_internal/new.so"}
    assert _files_under(home) == upgraded | {".local/share/octo/octo.db"}
    assert sorted(p.name for p in prog.parent.iterdir()) == ["octo"]  # no temporary folder left
    assert sorted(p.name for p in link.parent.iterdir()) == ["octo"]
    run_it = subprocess.run([str(link)], capture_output=True, text=True, timeout=30)
    assert run_it.stdout == "fake folder octo v2\n"

    sh(pkg2, "--uninstall")
    assert _files_under(home) == {".local/share/octo/octo.db"}
    assert not prog.exists() and not link.is_symlink()
    assert db.read_bytes() == b"paper trades"


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_install_sh_is_valid_posix_sh(tmp_path, fake_folder):
    pkg = _extract(make_linux_folder(fake_folder, tmp_path / "dist"), tmp_path / "x")
    for shell in ("sh", "dash"):
        if shutil.which(shell):
            r = subprocess.run([shell, "-n", str(pkg / "install.sh")], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr


# --- Windows portable zip ------------------------------------------------------------------------

@pytest.fixture
def fake_windows_dist(tmp_path: Path) -> Path:
    dist = tmp_path / "dist"
    app = dist / "Octo"
    for rel, data in {
        "Octo.exe": b"MZ gui",
        "octo-cli.exe": b"MZ console",
        "_internal/python311.dll": b"dll",
        "_internal/base_library.zip": b"PK",
        "_internal/assets/octo.png": b"png",
        "_internal/numpy/core/_multiarray_umath.pyd": b"pyd",
    }.items():
        p = app / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return dist


def make_zip(dist: Path, out_dir: Path) -> Path:
    r = run([sys.executable, str(INSTALLER / "make_portable_zip.py"), "--dist", str(dist),
             "--out-dir", str(out_dir)], env={"SOURCE_DATE_EPOCH": EPOCH})
    assert r.returncode == 0, r.stderr
    out = out_dir / f"Octo-{VERSION}-windows-portable.zip"
    assert str(out) in r.stdout and "bytes" in r.stdout
    return out


def test_portable_zip_entries(tmp_path, fake_windows_dist):
    out = make_zip(fake_windows_dist, tmp_path / "out")
    top = f"Octo-{VERSION}/"
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == sorted(names)
        assert set(names) == {
            top, top + "Octo.exe", top + "octo-cli.exe", top + "README.txt",
            top + "_internal/", top + "_internal/assets/", top + "_internal/numpy/",
            top + "_internal/numpy/core/",
            top + "_internal/assets/octo.png", top + "_internal/base_library.zip",
            top + "_internal/numpy/core/_multiarray_umath.pyd", top + "_internal/python311.dll",
        }
        assert zf.read(top + "octo-cli.exe") == b"MZ console"
        readme = zf.read(top + "README.txt").decode()
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    assert "Octo.exe" in readme and "octo-cli.exe" in readme
    assert r"%LOCALAPPDATA%\octo" in readme and "paper" in readme.lower()
    assert make_zip(fake_windows_dist, tmp_path / "again").read_bytes() == out.read_bytes()


def test_portable_zip_defaults_out_dir_to_dist(tmp_path, fake_windows_dist):
    r = run([sys.executable, str(INSTALLER / "make_portable_zip.py"), "--dist", str(fake_windows_dist)])
    assert r.returncode == 0, r.stderr
    assert (fake_windows_dist / f"Octo-{VERSION}-windows-portable.zip").is_file()


def test_portable_zip_missing_folder_exits_2(tmp_path):
    r = run([sys.executable, str(INSTALLER / "make_portable_zip.py"), "--dist", str(tmp_path)])
    assert r.returncode == 2
    assert "not found" in r.stderr


# --- macOS dmg script ----------------------------------------------------------------------------

def _fake_tools(bindir: Path, **scripts: str) -> None:
    bindir.mkdir(exist_ok=True)
    for name, body in scripts.items():
        p = bindir / name
        p.write_text("#!/bin/sh\n" + body + "\n")
        p.chmod(0o755)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_make_dmg_refuses_off_macos_and_without_app(tmp_path):
    script = str(INSTALLER / "make_dmg.sh")
    if sys.platform != "darwin":
        r = run(["bash", script, str(tmp_path)])
        assert r.returncode == 2 and "macOS only" in r.stderr

    bindir = tmp_path / "bin"
    _fake_tools(bindir, uname="echo Darwin")
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    r = run(["bash", script, str(tmp_path)], env=env)
    assert r.returncode == 2 and "Octo.app" in r.stderr and "not found" in r.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_make_dmg_stages_app_and_applications_link(tmp_path):
    dist = tmp_path / "dist"
    exe = dist / "Octo.app" / "Contents" / "MacOS" / "octo"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    bindir = tmp_path / "bin"
    log = tmp_path / "hdiutil.log"
    _fake_tools(
        bindir,
        uname="echo Darwin",
        ditto='cp -R "$1" "$2"',
        # Record the call and the staging folder's listing, then write the "image".
        hdiutil=f'echo "$@" > "{log}"; ls -A "$5" >> "{log}"; '
                f'readlink "$5/Applications" >> "{log}"; touch "$9"',
    )
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    r = run(["bash", str(INSTALLER / "make_dmg.sh"), str(dist)], env=env)
    assert r.returncode == 0, r.stderr
    out = dist / f"Octo-{VERSION}-macos.dmg"
    assert out.is_file() and str(out) in r.stdout
    call, *listing = log.read_text().splitlines()
    args = call.split()
    assert args[:5] == ["create", "-volname", "Octo", "-srcfolder", args[4]]
    assert args[5:] == ["-ov", "-format", "UDZO", str(out)]
    assert listing == ["Applications", "Octo.app", "/Applications"]
    assert not Path(args[4]).exists()  # staging cleaned up


# --- Inno Setup script ---------------------------------------------------------------------------

def _iss_sections() -> dict[str, list[str]]:
    """The script's sections, comments dropped, with the preprocessor's {#Name} constants expanded
    (all but AppVersion, which stays as the /DAppVersion placeholder)."""
    text = (INSTALLER / "octo.iss").read_text(encoding="utf-8")
    defines = dict(re.findall(r'^\s*#define\s+(\w+)\s+"([^"]*)"', text, re.M))
    defines.pop("AppVersion", None)
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = re.sub(r"\{#(\w+)\}", lambda m: defines.get(m.group(1), m.group(0)), raw.strip())
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            current = m.group(1)
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    return sections


def _setup_directives() -> dict[str, str]:
    return dict(line.split("=", 1) for line in _iss_sections()["Setup"])


def test_iss_setup_directives():
    setup = _setup_directives()
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["DefaultDirName"] == r"{autopf}\Octo"
    assert setup["ArchitecturesInstallIn64BitMode"] == "x64compatible"
    assert setup["ArchitecturesAllowed"] == "x64compatible"
    assert setup["Compression"] == "lzma2"
    assert setup["AppVersion"] == "{#AppVersion}"
    assert re.fullmatch(r"\{\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}",
                        setup["AppId"])
    assert setup["OutputBaseFilename"] == "Octo-{#AppVersion}-windows-setup"
    # Paths are relative to SourceDir, the repository root.
    assert setup["SourceDir"] == ".."
    assert setup["OutputDir"] == "dist"
    assert (ROOT / setup["SetupIconFile"].replace("\\", "/")).is_file()
    text = (INSTALLER / "octo.iss").read_text(encoding="utf-8")
    assert re.search(r'#define AppVersion "\d+\.\d+\.\d+"', text)  # default when no /DAppVersion


def test_iss_files_are_relative_and_cover_the_build():
    sources = re.findall(r'Source:\s*"([^"]+)"', "\n".join(_iss_sections()["Files"]))
    assert sources == [r"dist\Octo\*"]
    for src in sources:
        assert not re.match(r"^([A-Za-z]:|\\|/|\{)", src), src


def test_iss_start_menu_entry_and_uninstall_keeps_user_data():
    sections = _iss_sections()
    icons = sections["Icons"]
    assert any(r'"{autoprograms}\Octo"' in line and r'"{app}\Octo.exe"' in line for line in icons)
    assert any("{autodesktop}" in line and "Tasks: desktopicon" in line for line in icons)
    assert any('Name: "desktopicon"' in line for line in sections["Tasks"])
    for line in sections.get("UninstallDelete", []):
        target = line.lower()
        assert "{localappdata}" not in target and "{userappdata}" not in target, line
        assert "octo" not in target.replace("{app}", ""), line
    for line in sections.get("InstallDelete", []):
        assert '"{app}\\' in line, line  # only ever the program folder


# --- release workflow ----------------------------------------------------------------------------

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"


def test_release_workflow_names_the_runners_and_steps():
    text = WORKFLOW.read_text(encoding="utf-8")
    for needle in ("ubuntu-22.04", "windows-2022", "macos-14", "build/build.py",
                   "installer/make_linux.py", "installer/make_portable_zip.py",
                   r"installer\octo.iss", "installer/make_dmg.sh", "gh release create",
                   "actions/upload-artifact@v4", "actions/download-artifact@v4",
                   "build/build.py --onedir", "installer/make_linux.py --folder dist/Octo",
                   'mv dist/octo "dist/octo-$VERSION-linux-x86_64"', "dist/octo-*-linux-x86_64"):
        assert needle in text, needle
    uses = re.findall(r"uses:\s*(\S+)", text)
    assert uses and all(u.startswith("actions/") for u in uses), uses


def test_release_workflow_parses_as_yaml():
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = doc.get("on", doc.get(True))  # PyYAML reads a bare `on` as True
    assert on["push"]["tags"] == ["v*"] and "workflow_dispatch" in on
    build, release = doc["jobs"]["build"], doc["jobs"]["release"]
    assert build["strategy"]["matrix"]["os"] == ["ubuntu-22.04", "windows-2022", "macos-14"]
    assert release["needs"] == "build"
    assert release["permissions"] == {"contents": "write"}
    assert "refs/tags/v" in release["if"]


# --- icons ---------------------------------------------------------------------------------------

def test_icons_exist_with_the_expected_sizes():
    from PIL import Image

    with Image.open(ROOT / "assets" / "octo.png") as im:
        assert im.size == (256, 256) and im.mode == "RGBA"
    with Image.open(ROOT / "assets" / "octo.ico") as im:
        assert sorted(im.info["sizes"]) == [(n, n) for n in (16, 24, 32, 48, 64, 128, 256)]
    with Image.open(ROOT / "assets" / "octo.icns") as im:
        im.load()
        assert im.size[0] >= 256
