"""The desktop window: a CustomTkinter app polling the runtime's snapshots at 20 Hz.

Entry point: ``octo_desktop.gui.app.run_gui(runtime)``. Presenters (pure) live in ``presenters``; each
column is one view module; ``charts`` holds the blitting matplotlib helpers.
"""
