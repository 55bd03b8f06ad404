"""The chart loader: matplotlib loads off the main thread, charts are built one per call, a failure is
raised once (for the window to show) and never again every poll."""

from __future__ import annotations

import pytest

from octo_desktop.gui.chart_slot import ChartLoader
from tests.fakes.waiting import eventually


class FakeSlot:
    def __init__(self, fail: bool = False) -> None:
        self.built = False
        self.fail = fail
        self.module = None

    def build(self, module) -> None:
        if self.fail:
            raise ValueError("cannot draw here")
        self.module = module
        self.built = True


def loaded(loader: ChartLoader) -> ChartLoader:
    loader.start()
    eventually(lambda: not loader._thread.is_alive(), timeout=60, message="matplotlib imported")
    return loader


def test_nothing_is_built_before_start_then_one_chart_per_step():
    slots = [FakeSlot(), FakeSlot(), FakeSlot()]
    loader = ChartLoader(slots)
    assert loader.step() is False and not loader.ready  # not started: the first frame has not been drawn
    loaded(loader)
    assert [loader.step() for _ in range(4)] == [True, True, True, False]
    assert loader.ready and all(slot.module.__name__ == "octo_desktop.gui.charts" for slot in slots)


def test_a_failing_chart_is_reported_once():
    loader = loaded(ChartLoader([FakeSlot(fail=True), FakeSlot()]))
    with pytest.raises(ValueError, match="cannot draw here"):
        loader.step()
    assert loader.failed and loader.step() is False and not loader.ready


def test_a_failed_background_import_is_raised_on_the_main_thread():
    loader = loaded(ChartLoader([FakeSlot()]))
    loader.error = ImportError("No module named 'matplotlib'")
    with pytest.raises(RuntimeError, match="the charts cannot load: No module named 'matplotlib'"):
        loader.step()
    assert loader.step() is False
