"""The router-day benchmark's quick mode runs end to end and its figures are computed and consistent with one
another and with the tables (not specific values: those belong to the benchmark, not to the tests)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance


@pytest.fixture(scope="module")
def result():
    done = subprocess.run([sys.executable, "-m", "benchmarks.router_day", "--quick", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(330)  # about 20 s on a quiet 2-core machine
def test_quick_run_submits_every_order_and_every_order_ends(result):
    orders = result["orders"]
    assert result["quick"] is True and result["orders_drawn"] == 10
    assert orders["submitted"] == 10 and orders["accepted"] + orders["refused"] == 10
    assert orders["accepted"] >= 8 and orders["routed"] >= 1
    assert sum(orders["states"].values()) == orders["accepted"]
    assert orders["stuck"] == []  # every parent reached a final state before the run ended
    assert orders["split"] + orders["single"] == orders["routed"]
    assert result["engine"]["store_complete"] is True and result["engine"]["events"] > 0
    lag = orders["submission_lag_s"]  # each order landed at (or just after) its arrival time
    assert lag["min"] >= -1.0 and lag["max"] < 60.0


@pytest.mark.timeout(330)
def test_planned_savings_are_computed_and_consistent(result):
    checks = result["checks"]
    assert checks["saving_non_negative"] is True
    assert checks["saving_matches_desk_summary"] is True  # the same sum as the desk's own summary
    routed = [o for o in result["per_order"] if o.get("plan")]
    assert routed
    savings, with_single = 0.0, 0
    for order in routed:
        plan = order["plan"]
        assert plan["compute_ms"] > 0 and plan["quantity"] > 0 and plan["total"] is not None
        assert plan["quantity"] <= order["quantity"] * (1 + 1e-9)
        if plan["best_single"]:
            # One source could do it alone: the plan is never worse than it, and the saving is the difference.
            with_single += 1
            assert plan["saving_vs_best_single"] >= 0
            assert close(plan["saving_vs_best_single"], plan["best_single_total"] - plan["total"], 1e-3)
            assert plan["chosen"] == "split" or plan["saving_vs_best_single"] == 0
            savings += plan["saving_vs_best_single"]
        else:
            assert plan["saving_vs_best_single"] is None
        if plan["exchanges_only_total"] is not None:
            assert close(plan["saving_vs_exchanges"], plan["exchanges_only_total"] - plan["total"], 1e-3)
        assert plan["delay_risk"] >= 0
    planned = result["planned"]
    assert planned["with_best_single"] == with_single
    assert close(planned["saving_vs_best_single_usdt"], savings, 0.01 * len(routed))
    assert planned["with_best_single"] + planned["no_single_source"] == len(routed)
    compute = result["compute_ms"]["first_plan"]
    assert compute["n"] == len(routed) and 0 < compute["min"] <= compute["median"] <= compute["max"]


@pytest.mark.timeout(330)
def test_realised_figures_add_up_to_what_the_children_filled(result):
    checks = result["checks"]
    assert checks["children_sum_equals_filled"] is True
    filled_usdt = result["fill"]["filled_usdt"]
    assert checks["route_cost_vs_children_max_gap_usdt"] <= 0.05 + 1e-5 * filled_usdt
    states = {}
    realised = 0
    fields = result["child_fields"]
    for order in result["per_order"]:
        if order["state"] == "refused":
            continue
        order["children"] = [dict(zip(fields, child)) for child in order["children"]]
        # The parent's filled quantity is what its children filled, child by child.
        children = sum(c["filled"] for c in order["children"])
        assert close(children, order["filled"], 1e-6 * max(order["quantity"], 1.0))
        assert close(order["children_filled"], order["filled"], 1e-6 * max(order["quantity"], 1.0))
        assert 0 <= order["fill_rate"] <= 1 + 1e-9
        assert order["state"] != "filled" or order["fill_rate"] >= 1 - 1e-6
        for child in order["children"]:
            states[child["state"]] = states.get(child["state"], 0) + 1
            assert child["filled"] <= child["quantity"] * (1 + 1e-9)
            assert (child["state"] in ("failed", "lost")) == (child["failure"] is not None)
        if order["filled"] > 0:
            # What the fills paid or received is near the reference (everything included).
            assert abs(order["average_price"] / order["reference"] - 1) < 0.05
            kinds = {c["kind"] for c in order["children"] if c["filled"] > 0}
            assert sorted(kinds) == order["kinds_used"]
        if order.get("realised_vs_plan_bps") is not None:
            realised += 1
            assert math.isfinite(order["realised_vs_plan_bps"]) and math.isfinite(order["realised_vs_plan_usdt"])
    children = result["children"]
    assert children["states"] == dict(sorted(states.items()))
    assert sum(children["states"].values()) == children["total"] > 0
    assert sum(children["failures"].values()) == sum(n for s, n in states.items() if s in ("failed", "lost"))
    kinds = result["sources"]["kinds"]
    assert sum(k["children"] for k in kinds.values()) == children["total"]
    shares = [k["share_of_filled"] for k in kinds.values() if k["share_of_filled"] is not None]
    assert not shares or close(sum(shares), 1.0, 1e-3)
    assert result["realised"]["all"]["orders"] == realised
    # The one-round figures (the plan executed as it was made) add up from the orders.
    one = [o for o in result["per_order"] if o.get("realised_vs_plan_usdt") is not None and o["rounds"] == 1]
    summed = result["realised"]["one_round"]
    assert summed["orders"] == len(one)
    assert close(summed["vs_plan_usdt"], sum(o["realised_vs_plan_usdt"] for o in one), 0.01 * (len(one) + 1))
    singles = [o["realised_saving_vs_best_single"] for o in one if "realised_saving_vs_best_single" in o]
    assert summed["with_best_single"] == len(singles)
    assert close(summed["realised_saving_vs_best_single_usdt"], sum(singles), 0.01 * (len(singles) + 1))
    fill = result["fill"]
    assert 0 <= fill["fill_rate"] <= 1 + 1e-9 and fill["filled_usdt"] <= fill["ordered_usdt"] * (1 + 1e-9)
