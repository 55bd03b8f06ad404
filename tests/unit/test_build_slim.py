"""The build's slimming rules (build/slim.py) and the binary check's judgement (build/build.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from octo_desktop.config import VENUE_IDS

ROOT = Path(__file__).resolve().parents[2]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"octo_build_{name}", ROOT / "build" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slim = load("slim")
build = load("build")


def test_only_the_venues_asyncio_and_pro_clients_are_bundled():
    stubbed = set(slim.ccxt_stubbed_modules(VENUE_IDS))
    bundled = set(slim.ccxt_venue_modules(VENUE_IDS))
    assert not stubbed & bundled
    for venue in VENUE_IDS:
        assert {f"ccxt.async_support.{venue}", f"ccxt.pro.{venue}"} <= bundled
        assert f"ccxt.{venue}" in stubbed  # the synchronous client: ccxt imports it, Octo never calls it
        assert f"ccxt.abstract.{venue}" not in stubbed  # the asyncio client's API table
    assert {"ccxt.kraken", "ccxt.async_support.kraken", "ccxt.pro.kraken", "ccxt.abstract.kraken"} <= stubbed
    assert not any(name.startswith(("ccxt.base", "ccxt.static_dependencies")) for name in stubbed)


def test_left_out_exchanges_still_import_and_raise_a_clear_error(tmp_path):
    """Simulate the bundle: hide the stubbed modules from the importer, install the hook, import ccxt."""
    stubbed = slim.ccxt_stubbed_modules(VENUE_IDS)
    hook = slim.write_ccxt_stub_hook(tmp_path, stubbed, VENUE_IDS)
    (tmp_path / "stubbed.txt").write_text("\n".join(stubbed))
    script = textwrap.dedent(f"""
        import importlib.machinery, sys
        hidden = set(open({str(tmp_path / 'stubbed.txt')!r}).read().split())

        class Bundle:  # the frozen importer: holds everything but the stubbed modules
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name in hidden:
                    return None
                return importlib.machinery.PathFinder.find_spec(name, path, target)

        sys.meta_path[sys.meta_path.index(importlib.machinery.PathFinder)] = Bundle
        exec(open({str(hook)!r}).read())
        import ccxt, ccxt.pro
        from ccxt.base.errors import NotSupported
        assert getattr(sys.modules["ccxt.kraken"], "__octo_stub__", False)
        assert not getattr(sys.modules["ccxt.pro.okx"], "__octo_stub__", False)
        client = ccxt.pro.okx()
        assert client.id == "okx"
        for factory in (ccxt.kraken, ccxt.pro.kraken, ccxt.okx):
            try:
                factory()
            except NotSupported as exc:
                print(exc)
            else:
                raise SystemExit(f"{{factory}} did not raise")
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert "'kraken' is not included in this build of Octo" in lines[0]
    assert all(venue in lines[0] for venue in VENUE_IDS)  # says what it does ship


def test_data_and_binary_filters_keep_what_octo_reads():
    datas = [(f"matplotlib/mpl-data/{name}", f"/src/{name}", "DATA") for name in (
        "matplotlibrc", "fonts/ttf/DejaVuSans.ttf", "fonts/ttf/DejaVuSans-Bold.ttf", "fonts/ttf/LastResortHE-Regular.ttf",
        "fonts/ttf/STIXGeneral.ttf", "fonts/afm/pagd8a.afm", "sample_data/msft.csv")]
    datas += [("_tcl_data/init.tcl", "/src/init.tcl", "DATA"), ("_tcl_data/tzdata/Europe/Paris", "/x", "DATA"),
              ("_tcl_data/encoding/cp1252.enc", "/x", "DATA"), ("_tcl_data/encoding/shiftjis.enc", "/x", "DATA")]
    kept = {entry[0] for entry in slim.filter_datas(datas)}
    assert kept == {"matplotlib/mpl-data/matplotlibrc", "matplotlib/mpl-data/fonts/ttf/DejaVuSans.ttf",
                    "matplotlib/mpl-data/fonts/ttf/DejaVuSans-Bold.ttf",
                    "matplotlib/mpl-data/fonts/ttf/LastResortHE-Regular.ttf", "_tcl_data/init.tcl",
                    "_tcl_data/encoding/cp1252.enc"}
    binaries = [("PIL/_imaging.cpython-311-x86_64-linux-gnu.so", "/a", "EXTENSION"),
                ("PIL/_webp.cpython-311-x86_64-linux-gnu.so", "/b", "EXTENSION"),
                ("pillow.libs/libwebp-51b0b3f7.so.7.2.0", "/c", "BINARY"),
                ("pillow.libs/libjpeg-6dc8d115.so.62.4.0", "/d", "BINARY")]
    assert [entry[0] for entry in slim.filter_binaries(binaries)] == [binaries[0][0], binaries[3][0]]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="strip is applied on Linux")
def test_strip_leaves_numpys_bundled_libraries_alone(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("ext.so", "libopenblas.so"):
        (source / name).write_bytes(b"not an ELF file")
    binaries = [("numpy.libs/libopenblas.so", str(source / "libopenblas.so"), "BINARY"),
                ("pkg/ext.so", str(source / "ext.so"), "EXTENSION"),
                ("pkg/data.bin", str(source / "ext.so"), "DATA")]
    result = slim.strip_binaries(binaries, tmp_path / "stripped")
    assert result[0] == binaries[0]  # untouched: stripping it breaks numpy
    assert result[2] == binaries[2]
    if result[1] != binaries[1]:  # strip is installed: a copy is shipped (the original, if strip refused it)
        dest, shipped, typecode = result[1]
        assert (dest, typecode) == ("pkg/ext.so", "EXTENSION")
        assert Path(shipped).parent == tmp_path / "stripped" / "pkg"
        assert Path(shipped).read_bytes() == b"not an ELF file"


def good_summary() -> dict:
    return {"events": 40_000, "trades": 3, "opportunities": 12, "realized_pnl": "1.25", "fees": "0.5",
            "balances": {"okx": {"USDT": "10000.1", "BTC": "0.5"}}, "initial_balances": {"okx": {"USDT": "10000"}},
            "books": {"okx": {"BTC/USDT": {"bid": 100.0, "ask": 100.1}},
                      "binance": {"BTC/USDT": {"bid": 100.05, "ask": 100.12}}},
            "risk": {"state": "ACTIVE"}, "engine_time": 1.0e9, "events_per_second": 9000.0}


def test_the_headless_check_accepts_a_sane_summary_and_names_what_is_wrong():
    assert build.check_headless(good_summary(), 30) == []
    crossed = good_summary()
    crossed["books"]["okx"]["BTC/USDT"] = {"bid": 101.0, "ask": 100.0}
    assert build.check_headless(crossed, 30) == ["okx BTC/USDT: bid 101.0 ask 100.0"]
    missing = good_summary()
    del missing["balances"]
    assert build.check_headless(missing, 30) == ["missing key 'balances'"]
    quiet = good_summary() | {"events": 10}
    assert build.check_headless(quiet, 30) == ["only 10 events in 30 s"]
    inexact = good_summary() | {"fees": "lots"}
    assert any("exact decimals" in p for p in build.check_headless(inexact, 30))
