"""The desk tabs and the bar every desk shares, in a real window with a second, fake desk registered.

The window polls a ``FakeRuntime`` that moves on one step per pump. Tabs are clicked for real: xdotool
moves the pointer onto the button and clicks, and the test pumps Tk until the click has been handled.
"""

from __future__ import annotations


import pytest

from octo_desktop.domain.commands import Halt, Resume, SaveSetting
from octo_desktop.gui import theme
from octo_desktop.gui.pages import DESK_PAGES, ArbitragePage, RouterPage, TreasuryPage
from tests.fakes.desk_pages import FakeDeskPage, RecordingArbitragePage
from tests.fakes.fake_market import FakeRuntime
from tests.fakes.window import FakeWindowSession

pytestmark = pytest.mark.gui


class DesksSession(FakeWindowSession):
    """A window with the arbitrage desk and a fake one, polling a ``FakeRuntime``."""

    def __init__(self, settings: dict | None = None) -> None:
        runtime = FakeRuntime()
        runtime.settings = dict(settings or {})
        super().__init__(runtime, desk_pages=(RecordingArbitragePage, FakeDeskPage))
        self.arbitrage = self.app.desk("arbitrage")
        self.fake = self.app.desk("fake")


@pytest.fixture
def desks():
    session = DesksSession()
    try:
        yield session
    finally:
        session.close()


def charts_drawn(page) -> list[tuple[int, int]]:
    return [(slot.surface.blits, slot.surface.full_draws) for slot in page.charts]


def test_the_arbitrage_desk_is_the_first_page_of_the_registry_the_treasury_the_second_the_router_the_third():
    assert DESK_PAGES == (ArbitragePage, TreasuryPage, RouterPage)
    assert ArbitragePage.key == "arbitrage" and ArbitragePage.title == "Arbitrage"
    assert TreasuryPage.key == "treasury" and TreasuryPage.title == "Treasury"
    assert RouterPage.key == "router" and RouterPage.title == "Router"


def test_clicking_a_tab_shows_its_page_and_only_the_page_shown_renders(desks):
    app, arbitrage, fake = desks.app, desks.arbitrage, desks.fake
    desks.wait(lambda: app.charts_ready and all(sum(drawn) for drawn in charts_drawn(arbitrage)),
               timeout=30, message="the arbitrage page and its charts drawn")
    assert app.shown_desk is arbitrage and fake.builds == 0 and fake.rendered == []  # built when first shown

    desks.click(app.desk_bar.tabs["fake"])
    desks.wait(lambda: app.shown_desk is fake, message="the fake desk shown")

    # Shown at once with the newest snapshot, the arbitrage page out of sight.
    assert fake.builds == 1 and fake.shown == 1 and arbitrage.rendered
    assert fake.rendered and fake.rendered[0] >= arbitrage.rendered[-1]
    assert fake.frame.winfo_ismapped() and not any(column.winfo_ismapped() for column in arbitrage.columns)
    assert app.desk_bar.desk == "fake" and SaveSetting("desk", "fake") in desks.runtime.submitted
    arbitrage_renders, drawn = len(arbitrage.rendered), charts_drawn(arbitrage)

    desks.pump_frames(20)

    assert len(arbitrage.rendered) == arbitrage_renders  # the hidden page renders nothing
    assert charts_drawn(arbitrage) == drawn  # and its charts are neither blitted nor drawn
    assert len(fake.rendered) >= 10 and fake.rendered == sorted(fake.rendered)
    assert fake.columns[1].cget("text") == f"snapshot {fake.rendered[-1]}"

    desks.click(app.desk_bar.tabs["arbitrage"])
    desks.wait(lambda: app.shown_desk is arbitrage, message="the arbitrage desk shown again")

    assert len(arbitrage.rendered) == arbitrage_renders + 1 and arbitrage.rendered[-1] >= fake.rendered[-1]
    assert fake.hidden == 1 and not fake.frame.winfo_ismapped()
    fake_renders = len(fake.rendered)
    desks.pump_frames(20)
    assert len(fake.rendered) == fake_renders
    assert len(arbitrage.rendered) > arbitrage_renders + 5
    desks.wait(lambda: charts_drawn(arbitrage) != drawn, message="the arbitrage charts drawn again")


def test_ctrl_and_a_number_select_the_desk_at_that_place(desks):
    app = desks.app
    desks.wait(lambda: app.first_frame_at is not None, message="first frame")
    app.focus_force()
    desks.pump()

    app.event_generate("<Control-Key-2>")
    desks.wait(lambda: app.shown_desk is desks.fake, message="Ctrl+2 shows the fake desk")
    app.event_generate("<Control-Key-1>")
    desks.wait(lambda: app.shown_desk is desks.arbitrage, message="Ctrl+1 shows the arbitrage desk")


def test_the_kill_switch_and_the_trading_state_are_on_every_desk(desks):
    app, strip = desks.app, desks.app.desk_bar
    desks.wait(lambda: strip.state.text == "ACTIVE", message="ACTIVE shown")
    desks.click(strip.tabs["fake"])
    desks.wait(lambda: app.shown_desk is desks.fake, message="the fake desk shown")

    desks.click(app.kill_button)
    desks.wait(lambda: any(isinstance(command, Halt) for command in desks.runtime.submitted), message="halt sent")

    desks.wait(lambda: strip.state.text == "HALTED", message="HALTED shown on the fake desk")
    assert strip.state.fg == theme.RED and app.kill_button.cget("text") == "Resume trading"
    assert app.shown_desk is desks.fake
    app.kill_button.invoke()
    assert isinstance(desks.runtime.submitted[-1], Resume)
    desks.wait(lambda: strip.state.text == "ACTIVE", message="ACTIVE again")

    app.focus_force()
    desks.pump()
    app.event_generate("<Control-k>")
    assert desks.runtime.submitted[-1] == Halt("kill switch (Ctrl+K)")


def test_the_bar_lines_up_with_the_columns_of_the_page_shown(desks):
    app, bar = desks.app, desks.app.desk_bar
    columns = desks.arbitrage.columns

    def lined_up(columns) -> bool:
        first, last = columns[0], columns[-1]
        return (bar.tabs_frame.winfo_rootx() == first.winfo_rootx()
                and bar.headline.winfo_rootx() == columns[1].winfo_rootx()
                and bar.headline.winfo_rootx() + bar.headline.winfo_width()
                == columns[-2].winfo_rootx() + columns[-2].winfo_width()
                and (bar.kill_button.winfo_rootx(), bar.kill_button.winfo_width())
                == (last.winfo_rootx(), last.winfo_width()))

    desks.wait(lambda: app.winfo_viewable() and lined_up(columns), message="lined up with the arbitrage columns")
    assert bar.winfo_rooty() + bar.winfo_height() < columns[0].winfo_rooty()  # above the columns

    app.show_desk("fake")
    desks.wait(lambda: lined_up(desks.fake.columns), message="lined up with the fake desk's columns")
    app.geometry("1500x900")
    desks.wait(lambda: app.winfo_width() == 1500 and lined_up(desks.fake.columns), message="and after a resize")


def test_the_desk_shown_last_is_shown_at_the_next_start():
    session = DesksSession(settings={"desk": "fake"})
    try:
        assert session.app.shown_desk is session.fake and session.arbitrage.charts == ()
        session.wait(lambda: session.fake.rendered, message="the fake desk renders the first frame")
        assert session.app.first_frame_at is not None and session.arbitrage.snapshot is None
    finally:
        session.close()
