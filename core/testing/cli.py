"""``error_line``: the one ``error:`` line a refused ``ganforge`` command prints."""

from __future__ import annotations

import pytest


def error_line(capsys: pytest.CaptureFixture, *args: object) -> str:
    """Run ``ganforge ARGS...`` in-process (``ganforge.cli.main``), expect exit status 2 with
    exactly one ``error:`` line and no traceback on stderr, and return that line."""
    from ganforge.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    return errors[0]
