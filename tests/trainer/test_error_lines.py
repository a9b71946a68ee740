"""Bad input gives one error naming the file or field, never a traceback (issue #15, item 6):
damaged, empty and incomplete checkpoints, networks that do not fit, a full disk during a
checkpoint write, configs that are not UTF-8, seeds out of range, a batch of one through
a 1x1 BatchNorm."""

from __future__ import annotations

import errno

import pytest
import torch

from ganforge import cli_train
from ganforge.config import load_config
from ganforge.errors import ConfigError, DataError, GanforgeError
from ganforge.trainer import checkpoint as ckpt
from ganforge.trainer import latest_checkpoint, load_checkpoint, train
from ganforge.weights import load_state_dict, read_file


def test_the_checked_loader_names_the_file_for_every_kind_of_bad_file(tmp_path):
    with pytest.raises(DataError, match=r"absent.pt: no such file; expected weights \(get them there\)"):
        read_file(tmp_path / "absent.pt", "weights", "get them there")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(DataError, match="empty.pt: empty file; expected weights"):
        read_file(tmp_path / "empty.pt", "weights")
    (tmp_path / "junk.pt").write_bytes(b"\x80\x02 not a pickle")
    with pytest.raises(DataError, match=r"junk.pt: cannot be read as weights \("):
        read_file(tmp_path / "junk.pt", "weights")
    torch.save({"hook": print}, tmp_path / "code.pt")
    with pytest.raises(DataError, match=r"code.pt: cannot be read as weights \(Unsupported global: GLOBAL print\)"):
        read_file(tmp_path / "code.pt", "weights")
    torch.save(torch.zeros(2), tmp_path / "tensor.pt")
    with pytest.raises(DataError, match="tensor.pt: holds a Tensor, not weights"):
        load_state_dict(tmp_path / "tensor.pt", "weights")


@pytest.fixture
def trained(make_exp, config_tree, tmp_path):
    config_tree["train"].update(steps=3, checkpoint_every=3)
    train(make_exp(config_tree), tmp_path / "run", show_progress=False)
    return latest_checkpoint(tmp_path / "run")


@pytest.mark.parametrize("key", ["config", "models", "ema"])
def test_incomplete_checkpoints_are_named_in_sample_eval_and_resume(trained, key, tmp_path, config_tree,
                                                                    write_config):
    state = torch.load(trained, weights_only=True)
    del state[key]
    bad = tmp_path / "bad" / "checkpoints" / "step_00000003.pt"
    bad.parent.mkdir(parents=True)
    torch.save(state, bad)
    message = rf"step_00000003.pt: not a complete ganforge checkpoint: no '{key}'"
    with pytest.raises(DataError, match=message):
        cli_train.sample_command(str(bad), 1, str(tmp_path / "x.png"))
    with pytest.raises(DataError, match=message):
        cli_train.eval_command(str(bad), ["tiny_l1"])
    config_tree["train"]["steps"] = 5
    with pytest.raises(DataError, match=message):
        cli_train.train_command(str(write_config(config_tree)), [], str(tmp_path / "bad"), resume=True,
                                show_progress=False)


def test_weights_that_do_not_fit_list_the_keys(trained, tmp_path):
    state = torch.load(trained, weights_only=True)
    g = state["models"]["generator"]
    g["body.0.weight"] = g["body.0.weight"][:1]
    g["extra.bias"] = torch.zeros(1)
    del g["body.0.bias"]
    torch.save(state, tmp_path / "shapes.pt")
    with pytest.raises(ConfigError) as err:
        cli_train.sample_command(str(tmp_path / "shapes.pt"), 1, str(tmp_path / "x.png"))
    assert "shapes.pt models.generator does not fit this TinyGenerator" in str(err.value)
    assert "missing: body.0.bias" in str(err.value) and "unexpected: extra.bias" in str(err.value)
    assert "body.0.weight: (1, 4, 3, 3) in the file, (8, 4, 3, 3) here" in str(err.value)


def test_a_full_disk_during_a_checkpoint_write_keeps_the_previous_one(make_exp, config_tree, tmp_path, monkeypatch):
    config_tree["train"].update(steps=6, checkpoint_every=3)
    real_save, calls = torch.save, []

    def save(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second checkpoint: the disk fills up half-way
            f.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    with pytest.raises(GanforgeError, match=r"step_00000006.pt: cannot write the checkpoint \(No space left on "
                                            r"device\); nothing was replaced, the latest checkpoint is still "
                                            r"step_00000003.pt"):
        train(make_exp(config_tree), tmp_path / "run", show_progress=False)
    folder = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["step_00000003.pt"]  # no torn file, no temp file
    assert load_checkpoint(folder / "step_00000003.pt")["step"] == 3


def test_config_that_is_not_utf8_and_seeds_out_of_range_name_the_problem(write_config, config_tree, tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"train:\n  steps: 1  # caf\xe9\n")
    with pytest.raises(ConfigError, match=r"latin.yaml: not UTF-8 text \(byte 0xe9 on line 2\)"):
        load_config(latin, check=False)
    with pytest.raises(ConfigError, match=r"train.seed: Input should be less than 9223372036854775808"):
        load_config(write_config(config_tree), [f"train.seed={2**70}"], check=False)


def test_a_batch_of_one_through_a_1x1_batchnorm_names_the_batch_size(make_exp, config_tree, tmp_path):
    config_tree["models"]["discriminator"] = {"type": "tiny_disc", "pooled_bn": True}
    config_tree["train"].update(batch_size=1, steps=1)
    with pytest.raises(ConfigError, match=r"train.batch_size: 1 \(1 per process\) gives a BatchNorm layer one value"):
        train(make_exp(config_tree), tmp_path / "run", show_progress=False)
    config_tree["train"]["batch_size"] = 2
    train(make_exp(config_tree), tmp_path / "ok", show_progress=False)  # two samples are fine


def test_resume_with_nothing_left_to_train_says_so(trained, make_exp, config_tree, tmp_path):
    config_tree["train"].update(steps=3, checkpoint_every=3)
    with pytest.raises(ConfigError, match=r"already at step 3 and train.steps is 3: nothing to train; .*"
                                          r"--set train.steps=6"):
        train(make_exp(config_tree), trained.parent.parent, resume=True, show_progress=False)


def test_a_second_trainer_on_the_same_run_folder_is_refused(make_exp, config_tree, tmp_path):
    from ganforge.trainer.loop import Trainer

    first = Trainer(make_exp(config_tree), tmp_path / "run", show_progress=False)
    with pytest.raises(ConfigError, match=rf"run folder {tmp_path / 'run'} is in use by another trainer \(pid \d+\)"):
        Trainer(make_exp(config_tree), tmp_path / "run", show_progress=False)
    first.fit()  # releases the folder
    config_tree["train"]["steps"] = 7
    train(make_exp(config_tree), tmp_path / "run", resume=True, show_progress=False)


def test_duplicate_yaml_keys_are_an_error(tmp_path):
    config = tmp_path / "dup.yaml"
    config.write_text("train:\n  steps: 1\nmodels: {}\ntrain:\n  steps: 2\n")
    with pytest.raises(ConfigError, match=r"dup.yaml: line 4: key 'train' is given twice in the same mapping"):
        load_config(config, check=False)


def test_skipped_samples_are_counted_in_the_logs_and_said(make_exp, config_tree, tmp_path):
    import json

    from ganforge.errors import GanforgeWarning
    from ganforge.trainer.loop import Trainer

    trainer = Trainer(make_exp(config_tree), tmp_path / "run", show_progress=False)
    trainer.dataset.num_skipped, trainer.dataset.errors = 2, {"a.png": "a.png: cannot read image"}  # as a layout counts
    with pytest.warns(GanforgeWarning, match=r"step 1: 2 bad samples skipped so far \(data.on_error: skip\), e.g. a.png"):
        trainer.fit()
    logs = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["data_skipped"] for r in logs if r["kind"] == "train"] == [2.0] * 6


@pytest.mark.parametrize("rank", ["0", "1"])
def test_a_signal_stop_is_said_once_under_torchrun_and_exits_2(rank, monkeypatch, capsys, tmp_path):
    from ganforge.cli import main
    from ganforge.trainer.interrupt import TrainingInterrupted

    def stopped(*args, **kwargs):
        raise TrainingInterrupted("stopped by SIGTERM after step 3")

    monkeypatch.setenv("GANFORGE_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("RANK", rank)
    monkeypatch.setattr(cli_train, "train_command", stopped)
    (tmp_path / "c.yaml").write_text("train: {steps: 1}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["train", str(tmp_path / "c.yaml")])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("error: stopped by SIGTERM after step 3\n" if rank == "0" else "")
