"""The latency-sweep benchmark against competing arbitrageurs: its pure parts, and one tiny real run."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import pytest

from benchmarks import __main__ as suite
from benchmarks import competition
from octo_desktop.config import builtin_config

LATENCIES = {"fast": (20.0, 60.0), "slow": (110.0, 350.0)}


def _settings(overrides: list[str]) -> dict[str, float]:
    return {key: float(value) for key, value in (setting.split("=", 1) for setting in overrides)}


def test_it_is_registered_in_the_suite():
    assert suite.BENCHMARKS["competition"] == "benchmarks.competition"


def test_base_latencies_are_every_enabled_venues_built_in_median_and_p95():
    config = builtin_config()
    latencies = competition.base_latencies()
    assert tuple(latencies) == config.venue_names
    for name, (median, p95) in latencies.items():
        assert (median, p95) == (config.venues[name].latency_ms_median, config.venues[name].latency_ms_p95)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0, 5.0])
def test_a_scale_multiplies_every_venues_median_and_p95(scale):
    settings = _settings(competition.latency_overrides(scale, LATENCIES))
    assert settings == {
        "venues.fast.latency_ms_median": 20.0 * scale, "venues.fast.latency_ms_p95": 60.0 * scale,
        "venues.slow.latency_ms_median": 110.0 * scale, "venues.slow.latency_ms_p95": 350.0 * scale,
    }


def test_the_overrides_for_the_real_venues_are_accepted_by_the_config_loader():
    latencies = competition.base_latencies()
    config = builtin_config(['simulation.preset="normal"', *competition.latency_overrides(2.0, latencies)])
    for name, (median, p95) in latencies.items():
        assert config.venues[name].latency_ms_median == median * 2
        assert config.venues[name].latency_ms_p95 == p95 * 2


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_a_scale_must_be_positive(scale):
    with pytest.raises(ValueError, match="positive"):
        competition.latency_overrides(scale, LATENCIES)


def test_the_command_sets_the_seed_preset_start_and_every_latency(tmp_path):
    argv = competition.command(8, 300.0, "competitive", 5.0, LATENCIES, tmp_path / "run.db", tmp_path / "c.toml")
    joined = " ".join(argv)
    assert "run --headless --seconds 300 --seed 8 --speed max --start-time 1767225600 --json" in joined
    assert f"--config {tmp_path / 'c.toml'}" in joined and f"--db {tmp_path / 'run.db'}" in joined
    sets = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--set"]
    assert sets[0] == 'simulation.preset="competitive"'
    risk = [s for s in sets[1:] if s.startswith("risk.")]
    assert risk == list(competition.RISK_OFF)  # the halts off: the race decides, not the breaker
    assert _settings([s for s in sets[1:] if not s.startswith("risk.")]) == \
        _settings(competition.latency_overrides(5.0, LATENCIES))


@pytest.mark.parametrize("pnls, expected", [
    (["3.5", "2", "2", "-1"], True),
    (["1"], True),
    (["-1", "-0.5"], False),
    (["5", "1", "1.0000000001"], False),
    ([Decimal("1"), None, Decimal("0")], None),
])
def test_monotone_means_pnl_never_rises_with_latency(pnls, expected):
    assert competition.is_monotone(pnls) is expected


TRADES_CSV = (
    "trade_id,opened_at,closed_at,symbol,realized_pnl,state\n"
    "1,1.0,1.1,BTC/USDT,-2.5,rolled back\n"
    "2,2.0,2.1,BTC/USDT,0,failed\n"
    "3,3.0,3.1,ETH/USDT,1.550143220,complete\n"
    "4,4.0,,SOL/USDT,0.75,open\n"  # still open at the end: not closed, so not counted
)


def test_the_closed_trades_pnl_is_read_from_the_export():
    assert competition.closed_trade_pnls(TRADES_CSV) == [Decimal("-2.5"), Decimal("0"), Decimal("1.550143220")]


def _summary(trades, opportunities, pnl, decay):
    return {"trades": trades, "opportunities": opportunities, "realized_pnl": pnl,
            "attribution": {"expected": "1", "latency_decay": decay, "slippage": "0", "fees": "0", "rollback": "0",
                            "realized": pnl},
            "trade_states": {"complete": 1}, "competition": {"races": 12}}


def test_a_points_win_rate_and_take_rate():
    figures = competition.point_figures(_summary(4, 16, "-1.25", "0.5"),
                                        [Decimal("1"), Decimal("0"), Decimal("-2"), Decimal("0.01")])
    assert (figures["trades"], figures["opportunities"], figures["closed"], figures["wins"]) == (4, 16, 4, 2)
    assert figures["win_rate"] == 0.5 and figures["take_rate"] == 0.25
    assert (figures["realized_pnl"], figures["latency_decay"]) == ("-1.25", "0.5")
    assert figures["races"] == 12
    json.dumps(figures)


def test_rates_without_trades_or_opportunities_are_none():
    figures = competition.point_figures(_summary(0, 0, "0", "0"), [])
    assert figures["win_rate"] is None and figures["take_rate"] is None


def test_seeds_are_summed_exactly_and_their_rates_pooled():
    points = [dict(competition.point_figures(_summary(3, 10, "1.10", "0.20"), [Decimal("1"), Decimal("-1")]), seed=7),
              dict(competition.point_figures(_summary(1, 30, "-0.30", "0.05"), [Decimal("2")]), seed=8)]
    total = competition.aggregate(points)
    assert total["realized_pnl"] == "0.80" and total["latency_decay"] == "0.25"
    assert (total["trades"], total["opportunities"], total["closed"], total["wins"]) == (4, 40, 3, 2)
    assert total["take_rate"] == 0.1  # 4 / 40, not the mean of 0.3 and 0.033
    assert total["win_rate"] == pytest.approx(2 / 3)


def test_a_failed_seed_leaves_its_scales_sum_incomplete():
    good = dict(competition.point_figures(_summary(1, 2, "1", "0"), [Decimal("1")]), seed=7)
    total = competition.aggregate([good, {"seed": 8, "scale": 2.0, "error": "exit 1: boom"}])
    assert total == {"error": "failed on seed 8"}


def test_the_summary_is_the_last_line_of_output():
    line = json.dumps(_summary(1, 2, "0.5", "0.1"))
    assert competition.parse_summary(f"a warning\n{line}\n")["realized_pnl"] == "0.5"
    for bad in ("", "not json", "[1, 2]", json.dumps({"trades": 1})):
        with pytest.raises(ValueError):
            competition.parse_summary(bad)


def test_a_failing_run_records_its_error_line_and_the_sweep_goes_on(monkeypatch):
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(argv)
        if "export" in argv:
            return subprocess.CompletedProcess(argv, 0, "trade_id,closed_at,realized_pnl\n1,2.0,0.5\n", "")
        seed = int(argv[argv.index("--seed") + 1])
        if seed == 8:
            return subprocess.CompletedProcess(argv, 1, "", "Traceback...\nerror: the engine broke\n")
        return subprocess.CompletedProcess(argv, 0, "garbage\n" if seed == 9 else
                                           json.dumps(_summary(1, 4, "0.5", "0.1")) + "\n", "")

    monkeypatch.setattr(competition.subprocess, "run", fake_run)
    result = competition.run(seconds=10, seeds=[7, 8, 9], scales=[2, 1])
    assert result["scales"] == [1.0, 2.0]  # by rising latency
    by_seed = {entry["seed"]: entry for entry in result["per_seed"]}
    assert [p["take_rate"] for p in by_seed[7]["points"]] == [0.25, 0.25] and by_seed[7]["monotone"] is True
    assert by_seed[8]["points"][0]["error"] == "exit 1: error: the engine broke" and by_seed[8]["monotone"] is None
    assert by_seed[9]["points"][1]["error"] == "unparsable summary: garbage"
    assert result["total"][0] == {"error": "failed on seed 8, 9", "scale": 1.0} and result["monotone"] is None
    assert len(result["errors"]) == 4 and result["errors"][0] == "seed 8 x1: exit 1: error: the engine broke"
    # every point ran: seed 7 twice with its export, seeds 8 and 9 twice each without one
    assert len(calls) == 8
    assert "FAILED: exit 1: error: the engine broke" in competition.report(result)


def test_tiny_real_sweep_returns_consistent_figures():
    result = competition.run(seconds=60, seeds=[7], scales=[1, 5])
    json.dumps(result)  # JSON-ready
    assert result["name"] == "competition" and result["errors"] == []
    assert (result["preset"], result["engine_seconds"], result["seeds"], result["scales"]) == \
        ("normal", 60.0, [7], [1.0, 5.0])
    assert set(result["base_latency_ms"]) == set(builtin_config().venue_names)
    [seed] = result["per_seed"]
    assert seed["seed"] == 7 and [p["scale"] for p in seed["points"]] == [1.0, 5.0]
    for point in seed["points"]:
        assert {"realized_pnl", "trades", "opportunities", "closed", "wins", "win_rate", "take_rate",
                "latency_decay", "attribution"} <= set(point)
        assert Decimal(point["realized_pnl"]).is_finite() and Decimal(point["latency_decay"]).is_finite()
        assert point["attribution"]["realized"] == point["realized_pnl"]
        assert point["opportunities"] > 0 and point["take_rate"] == point["trades"] / point["opportunities"]
        assert point["closed"] <= point["trades"] and point["wins"] <= point["closed"]
        if point["closed"]:
            assert 0 <= point["win_rate"] <= 1 and point["win_rate"] == point["wins"] / point["closed"]
        else:
            assert point["win_rate"] is None
    assert seed["monotone"] is competition.is_monotone([p["realized_pnl"] for p in seed["points"]])
    # with one seed the sum is that seed
    for total, point in zip(result["total"], seed["points"]):
        assert (total["realized_pnl"], total["trades"], total["take_rate"]) == \
            (str(Decimal(point["realized_pnl"])), point["trades"], point["take_rate"])
    assert result["monotone"] is seed["monotone"]
    text = competition.report(result)
    assert "seed 7" in text and "x5" in text and "monotone" in text
