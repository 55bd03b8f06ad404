"""Bad command-line arguments: one line naming the problem, exit code 2, and nothing created."""

from __future__ import annotations

import pytest

from octo_desktop.cli.main import main
from octo_desktop.cli.run import _event_matches


def run_main(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("bad, named", [
    (["--seed", "-1"], "--seed"),
    (["--seed", "1.5"], "--seed"),
    (["--seed", str(2**63)], "--seed"),
    (["--start-time", "nan"], "--start-time"),
    (["--start-time", "inf"], "--start-time"),
    (["--start-time=-1e12"], "--start-time"),
    (["--start-time", "1e20"], "--start-time"),
    (["--start-time", "yesterday"], "--start-time"),
    (["--speed", "1e-9"], "--speed"),
    (["--speed", "0"], "--speed"),
    (["--speed", "fast"], "--speed"),
    (["--seconds", "-5"], "--seconds"),
    (["--seconds", "nan"], "--seconds"),
    (["--market", "live", "--speed", "max"], "--speed"),
    (["--market", "live", "--speed", "10"], "--speed"),
])
def test_a_bad_run_argument_is_one_line_exit_2_and_creates_no_database(tmp_path, capsys, bad, named):
    db = tmp_path / "new" / "octo.db"
    code, out, err = run_main(["run", "--headless", "--seconds", "1", "--db", str(db), *bad], capsys)
    assert code == 2
    assert out == ""
    (line,) = err.strip().splitlines()
    assert named in line and "Traceback" not in err
    assert not db.parent.exists()


@pytest.mark.parametrize("bad", [["--seed", "-3"], ["--start-time", "nan"], ["--speed", "1e-6"]])
def test_a_bad_record_argument_creates_neither_database_nor_recording(tmp_path, capsys, bad):
    db, out_file = tmp_path / "octo.db", tmp_path / "r.jsonl.gz"
    code, _, err = run_main(["record", "--seconds", "5", "--out", str(out_file), "--db", str(db), *bad], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert not db.exists() and not out_file.exists()


@pytest.mark.parametrize("wait", ["-1", "nan", "inf", "soon"])
def test_halt_refuses_a_bad_wait(tmp_path, capsys, wait):
    code, _, err = run_main(["halt", "--db", str(tmp_path / "octo.db"), "--wait", wait], capsys)
    assert code == 2 and "--wait" in err


def test_a_start_before_what_the_database_holds_is_refused_before_anything_runs(tmp_path, capsys):
    db = tmp_path / "octo.db"
    assert run_main(["run", "--headless", "--seconds", "5", "--start-time", "1700000000", "--db", str(db)],
                    capsys)[0] == 0
    code, out, err = run_main(["run", "--headless", "--seconds", "5", "--start-time", "1700000001", "--db",
                               str(db), "--json"], capsys)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "before the latest engine time stored in" in line and str(db) in line


def test_live_at_real_time_speed_is_accepted_by_the_parser():
    from octo_desktop.cli.options import build_parser

    args = build_parser().parse_args(["run", "--market", "live", "--speed", "1"])
    assert args.speed == 1.0 and args.speed_given


@pytest.mark.parametrize("event, fault, matches", [
    ({"event": "fills", "purpose": "unwind"}, "purpose=unwind", True),
    ({"event": "fills", "purpose": "entry"}, "purpose=unwind", False),
    ({"event": "fills", "purpose": "unwind"}, "event=fills,purpose=unwind", True),
    ({"event": "trade"}, "event=fills", False),
    ({"event": "trade"}, "nonsense", False),
])
def test_the_fault_point_matches_stream_events_by_their_fields(event, fault, matches):
    assert _event_matches(event, fault) is matches


@pytest.mark.parametrize("command", [["export", "fills"], ["export", "trades"], ["halt", "--wait", "0"],
                                     ["resume", "--wait", "0"], ["ai-log"],
                                     ["run", "--headless", "--seconds", "1"]])
def test_a_directory_given_as_the_database_is_named_as_one(tmp_path, capsys, command):
    folder = tmp_path / "octo.db"
    folder.mkdir()
    code, out, err = run_main([*command, "--db", str(folder)], capsys)
    assert code == 1 and out == ""
    assert err.strip() == f"octo_desktop: database {folder} is a directory, not a file"
    assert list(folder.iterdir()) == []


def test_export_to_a_directory_is_refused_before_anything_is_written(tmp_path, capsys):
    db = tmp_path / "octo.db"
    assert run_main(["run", "--headless", "--seconds", "2", "--db", str(db)], capsys)[0] == 0
    code, _, err = run_main(["export", "fills", "--db", str(db), "--output", str(tmp_path)], capsys)
    assert code == 2 and "--output" in err and "is a directory" in err
