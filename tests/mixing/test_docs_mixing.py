"""Every mixing claim is a runnable config: each file in docs/mixing/ trains for 2 steps
through the CLI, then ``ganforge sample`` and ``ganforge eval`` run on the run folder, all
in this one process (no traceback, exit status 0). docs/mixing.md lists every file, and the
README's lead example is one of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from ganforge.cli import main

ROOT = Path(__file__).parents[2]
MIXES = sorted((ROOT / "docs" / "mixing").glob("*.yaml"))


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def ganforge(*args: str) -> None:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:  # main exits only on errors it reports as 'error: ...'
        assert not exc.code, f"ganforge {' '.join(map(str, args))} exited with {exc.code}"


@pytest.mark.parametrize("mix", MIXES, ids=[m.stem for m in MIXES])
def test_the_mix_trains_samples_and_evaluates(mix, tmp_path, capsys):
    run = tmp_path / mix.stem
    ganforge("train", mix, "--set", "train.steps=2", "--set", "train.batch_size=2", "--set", "train.sample_size=2",
             "--out", run, "--no-progress")
    ganforge("sample", run, "--n", "2", "--out", tmp_path / "grid.png")
    ganforge("eval", run, "--batches", "1", "--json", "--no-progress")
    out = capsys.readouterr().out
    values = json.loads(out[out.index("{"):])
    assert values and all(v == v for v in values.values())  # finite numbers, no NaN
    assert (tmp_path / "grid.png").stat().st_size > 0


def test_docs_list_every_mix_and_the_readme_leads_with_one():
    listed = set(re.findall(r"docs/mixing/(\w+\.yaml)", (ROOT / "docs" / "mixing.md").read_text()))
    assert listed == {m.name for m in MIXES}
    readme = (ROOT / "README.md").read_text()
    assert "ganforge train docs/mixing/sean_norm_in_stargan_v2.yaml" in readme
