"""The desktop window: a CustomTkinter app polling the runtime's snapshots at 20 Hz.

Entry point: ``octo_desktop.gui.app.run_gui(runtime)``. The shell (``app``) holds the desk tabs with the
trading state and the kill switch (``desk_bar``), the control bar and the status bar; each desk is a page
(``desk_page``; the registry is ``pages.DESK_PAGES``), the arbitrage page's columns one view module each.
Presenters (pure: snapshot -> what to show) live in ``presenters``, one module per area; ``charts`` holds
the blitting matplotlib charts.
"""
