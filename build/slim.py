"""What the PyInstaller build leaves out, and how: used by ``octo.spec`` (build time only, stdlib only).

Everything here runs on the build machine inside PyInstaller; nothing is imported by Octo itself.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

# Modules no code path of Octo imports at run time, which PyInstaller would otherwise follow.
EXCLUDES = [
    # other databases' SQLAlchemy dialects and their drivers (Octo uses SQLite only)
    "sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.mysql", "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.oracle", "sqlalchemy.connectors.pyodbc",
    "sqlalchemy.connectors.aioodbc", "sqlalchemy.testing", "sqlalchemy.ext.mypy", "psycopg2", "pymysql",
    "MySQLdb", "cx_Oracle", "oracledb", "pyodbc", "asyncpg", "aiomysql", "aiosqlite",
    # test suites, build tools and interactive shells
    "numpy.f2py", "numpy.distutils", "numpy.testing", "numpy.typing.mypy_plugin", "matplotlib.tests",
    "matplotlib.testing", "PIL.ImageQt", "tkinter.test", "test", "unittest.mock", "pytest", "_pytest",
    "IPython", "jedi", "setuptools", "pkg_resources", "pip", "distutils", "lib2to3", "pydoc_data",
    "sphinx", "docutils", "mypy",
    # GUI toolkits and matplotlib back ends other than Tk
    "PyQt5", "PyQt6", "PySide2", "PySide6", "wx", "gi", "cairo", "cairocffi", "tornado",
    "matplotlib.backends.backend_qt", "matplotlib.backends.backend_qtagg", "matplotlib.backends.backend_qtcairo",
    "matplotlib.backends.backend_qt5", "matplotlib.backends.backend_qt5agg", "matplotlib.backends.qt_compat",
    "matplotlib.backends.backend_gtk3", "matplotlib.backends.backend_gtk3agg", "matplotlib.backends.backend_gtk4",
    "matplotlib.backends.backend_gtk4agg", "matplotlib.backends.backend_wx", "matplotlib.backends.backend_wxagg",
    "matplotlib.backends.backend_webagg", "matplotlib.backends.backend_webagg_core",
    "matplotlib.backends.backend_nbagg", "matplotlib.backends.backend_pgf", "matplotlib.backends.backend_cairo",
    "matplotlib.backends.backend_macosx", "matplotlib.backends.backend_template",
    # Pydantic's v1 compatibility layer (the advisor uses v2)
    "pydantic.v1", "email_validator",
    # optional extras of the HTTP, WebSocket and OpenAI libraries that Octo does not use: AWS Bedrock
    # auth (botocore), the trio and uvloop event loops, httpx's command line (click, pygments, rich),
    # websockets' URL router (werkzeug), pyparsing's diagrams (jinja2), secp256k1 signing for DEX APIs
    "botocore", "boto3", "s3transfer", "trio", "websockets.trio", "uvloop", "aiohttp.worker", "httpx2._main",
    "click", "pygments", "rich", "werkzeug", "jinja2", "markupsafe", "pyparsing.diagram", "coincurve",
    "sortedcontainers", "yaml", "pandas",
]

HIDDEN_IMPORTS: list[str] = []

# Data files nothing reads: matplotlib's sample data, the PostScript/PDF core font metrics (Octo draws
# with Agg only) and the fonts other than DejaVu (the charts' font); Tcl's time-zone database and
# message catalogues (Tk's dialogs fall back to English).
_DROP_DATA = (
    "matplotlib/mpl-data/sample_data/",
    "matplotlib/mpl-data/fonts/afm/",
    "matplotlib/mpl-data/fonts/pdfcorefonts/",
    "matplotlib/mpl-data/images/",
    "matplotlib/mpl-data/plot_directive/",
    "matplotlib/mpl-data/stylelib/",
    "_tcl_data/tzdata/",
    "_tcl_data/msgs/",
    "_tk_data/msgs/",
    "_tk_data/demos/",
    "_tk_data/images/",
)
# Tcl's encodings for East Asian multi-byte code pages (Tk works in Unicode; these are 1.2 MB and 30 files).
_DROP_TCL_ENCODINGS = ("big5", "cp932", "cp936", "cp949", "cp950", "euc-cn", "euc-jp", "euc-kr", "gb12345",
                       "gb1988", "gb2312", "gb2312-raw", "iso2022", "iso2022-jp", "iso2022-kr", "jis0201",
                       "jis0208", "jis0212", "ksc5601", "shiftjis")
_KEEP_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
               "LastResortHE-Regular.ttf")  # matplotlib's fallback for missing glyphs

# Pillow plug-in extensions for formats Octo never reads or writes (it draws text and saves PNG).
_DROP_BINARIES = ("PIL/_avif", "PIL/_webp", "PIL/_imagingcms", "PIL/_imagingmath", "PIL/_imagingmorph",
                  # ... and the libraries only those plug-ins load
                  "pillow.libs/libavif", "pillow.libs/libwebp", "pillow.libs/libsharpyuv",
                  "pillow.libs/liblcms2")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"build: package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _exchange_names() -> list[str]:
    root = _package_dir("ccxt")
    names = set()
    for folder in (root, root / "async_support", root / "pro"):
        for path in folder.glob("*.py"):
            if path.stem != "__init__" and not path.stem.startswith("_"):
                names.add(path.stem)
    return sorted(names)


def ccxt_venue_modules(keep) -> list[str]:
    """Return the ccxt modules of the venues Octo trades on (imported lazily, so named explicitly).

    Octo's feeds use ccxt.pro's clients, which build on the asyncio ones; the synchronous clients are
    stubbed like the other exchanges (``ccxt/__init__`` imports them, nothing calls them).
    """
    return [f"{prefix}{venue}" for venue in keep for prefix in ("ccxt.async_support.", "ccxt.pro.")]


def ccxt_stubbed_modules(keep) -> list[str]:
    """Return the ccxt modules left out: every synchronous client, and all of the other exchanges'."""
    keep = set(keep)
    modules = []
    for name in _exchange_names():
        modules.append("ccxt." + name)
        if name not in keep:
            modules += [prefix + name for prefix in ("ccxt.async_support.", "ccxt.pro.", "ccxt.abstract.")]
    return modules


_STUB_HOOK = '''\
# Generated by build/slim.py: ccxt imports every exchange it knows; this build ships only Octo's venues.
# The others' module names still import, as stubs whose exchange class raises a clear error.
import importlib.abc
import importlib.machinery
import sys

_STUBBED = frozenset({stubbed!r})
_SHIPPED = {shipped!r}


class _ExchangeNotBundled:
    def __init__(self, *args, **kwargs):
        from ccxt.base.errors import NotSupported

        raise NotSupported(f"ccxt's synchronous client {{type(self).__name__!r}} is not included in this build "
                           f"of Octo; it ships the ccxt.pro (asyncio) clients of {{', '.join(_SHIPPED)}}")


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__.rsplit(".", 1)[1]
        module.__dict__[name] = type(name, (_ExchangeNotBundled,), {{"id": name}})
        module.__dict__["__octo_stub__"] = True


class _StubFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in _STUBBED:
            return importlib.machinery.ModuleSpec(fullname, _StubLoader())
        return None


sys.meta_path.append(_StubFinder())  # last: only what the bundle does not hold
'''


def write_ccxt_stub_hook(folder: Path, stubbed, keep) -> Path:
    """Write the runtime hook that turns the left-out exchanges into importable stubs."""
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(m for m in stubbed if not m.startswith("ccxt.abstract."))
    path = folder / "pyi_rth_octo_ccxt_stubs.py"
    path.write_text(_STUB_HOOK.format(stubbed=names, shipped=tuple(keep)), encoding="utf-8")
    return path


def _posix(path: str) -> str:
    return path.replace("\\", "/")


def filter_datas(datas):
    """Drop the data files nothing reads (see ``_DROP_DATA``) and the fonts Octo does not draw with."""
    kept = []
    for entry in datas:
        dest = _posix(entry[0])
        if any(part in dest for part in _DROP_DATA):
            continue
        if "mpl-data/fonts/ttf/" in dest and Path(dest).name not in _KEEP_FONTS:
            continue
        if "_tcl_data/encoding/" in dest and Path(dest).stem in _DROP_TCL_ENCODINGS:
            continue
        kept.append(entry)
    return kept


def filter_binaries(binaries):
    """Drop the Pillow plug-ins for image formats Octo never uses."""
    return [entry for entry in binaries if not any(_posix(entry[0]).startswith(p) for p in _DROP_BINARIES)]


def strip_binaries(binaries, folder: Path):
    """Return the binaries with debugging symbols stripped (copies in ``folder``), except numpy's.

    The libraries in ``*.libs/`` folders (numpy's OpenBLAS, built by auditwheel) must not be stripped:
    numpy then fails with "ELF load command address/offset not page-aligned".
    """
    strip = shutil.which("strip")
    if strip is None:
        print("build: `strip` not found (binutils): binaries left unstripped")
        return binaries
    result = []
    for dest, src, typecode in binaries:
        parts = Path(_posix(dest)).parts
        if typecode not in ("BINARY", "EXTENSION") or any(p.endswith(".libs") for p in parts[:-1]):
            result.append((dest, src, typecode))
            continue
        target = folder / dest
        source = Path(src)
        if not (target.exists() and target.stat().st_mtime >= source.stat().st_mtime):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            os.chmod(target, 0o755)
            done = subprocess.run([strip, "--strip-unneeded", str(target)], capture_output=True, text=True)
            if done.returncode != 0:  # not an ELF file strip understands: ship the original
                shutil.copy2(source, target)
        result.append((dest, str(target), typecode))
    return result


def write_windows_version(path: Path, version: str) -> str:
    """Write PyInstaller's Windows version resource for ``version`` and return its path."""
    numbers = [int(p) for p in version.split(".")[:3] if p.isdigit()] + [0, 0, 0, 0]
    four = tuple(numbers[:4])
    text = f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={four}, prodvers={four}, mask=0x3f, flags=0x0, OS=0x40004, fileType=0x1,
                    subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'Octo'),
      StringStruct('FileDescription', 'Octo - cross-venue crypto arbitrage terminal (paper trading)'),
      StringStruct('FileVersion', '{version}'),
      StringStruct('InternalName', 'octo'),
      StringStruct('OriginalFilename', 'Octo.exe'),
      StringStruct('ProductName', 'Octo'),
      StringStruct('ProductVersion', '{version}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)
