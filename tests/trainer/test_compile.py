"""``train.compile``: a compiled run trains as the eager one does, traces without graph
breaks or needless recompilations, survives gradient penalties, and a compiler failure
is one error line (issue #20, item 4)."""

from __future__ import annotations

import pytest
import torch
from torch._dynamo.utils import counters

from ganforge.errors import ConfigError
from ganforge.trainer import Trainer


def two_steps(make_exp, config_tree, tmp_path, compile_, name):
    """Logs of two training steps and the trained weights."""
    config_tree["models"]["generator"]["noise"] = 0.0  # Inductor draws its own random numbers
    trainer = Trainer(make_exp(config_tree, steps=2, compile=compile_, sample_every=0, checkpoint_every=0),
                      tmp_path / name, show_progress=False)
    stream = iter(trainer.batches)
    logs = [trainer.train_step(next(stream)) for _ in range(2)]
    return logs, {r: {k: v.clone() for k, v in m.state_dict().items()} for r, m in trainer.networks.items()}


@pytest.fixture
def fresh_dynamo():
    torch._dynamo.reset()
    counters.clear()
    yield counters
    torch._dynamo.reset()


def assert_same_run(a, b, tol):
    (logs_a, nets_a), (logs_b, nets_b) = a, b
    for step_a, step_b in zip(logs_a, logs_b):
        assert step_a.keys() == step_b.keys()
        for k in step_a:
            assert step_a[k] == pytest.approx(step_b[k], rel=tol, abs=tol), k
    for role in nets_a:
        for k, v in nets_a[role].items():
            torch.testing.assert_close(v, nets_b[role][k], rtol=tol, atol=tol, msg=f"{role}.{k}")


def test_an_inductor_compiled_run_equals_the_eager_one(make_exp, config_tree, tmp_path, fresh_dynamo):
    """Real Inductor (C++ code generation): ~30 s of CPU on a cold kernel cache, ~3 s warm."""
    eager = two_steps(make_exp, config_tree, tmp_path, False, "eager")
    compiled = two_steps(make_exp, config_tree, tmp_path, True, "compiled")
    assert_same_run(eager, compiled, 1e-5)
    assert not fresh_dynamo["graph_break"]
    # G: without grad (D step) and with; D: plain, then frozen on a fake that carries grad
    assert fresh_dynamo["stats"]["unique_graphs"] == 4


def test_gradient_penalties_run_the_plain_network(make_exp, config_tree, tmp_path, fresh_dynamo):
    """R1 differentiates D's output w.r.t. its input with create_graph, which compiled
    graphs cannot: that call runs uncompiled, the rest compiled."""
    config_tree["train"]["r1"] = {"gamma": 10.0, "interval": 1}
    eager = two_steps(make_exp, config_tree, tmp_path, False, "eager")
    compiled = two_steps(make_exp, config_tree, tmp_path, "aot_eager", "compiled")
    assert_same_run(eager, compiled, 1e-5)
    assert "r1" in compiled[0][0]
    assert fresh_dynamo["stats"]["unique_graphs"] == 4


def test_sampling_uses_the_plain_networks_and_attributes_pass_through(make_exp, config_tree, tmp_path, fresh_dynamo):
    trainer = Trainer(make_exp(config_tree, steps=1, compile="eager", sample_every=0, checkpoint_every=0),
                      tmp_path / "run", show_progress=False)
    g = trainer.run.models["generator"]
    assert g.module is trainer.networks["generator"] and g.params is trainer.networks["generator"].params
    assert [p.data_ptr() for p in g.parameters()] == [p.data_ptr() for p in trainer.networks["generator"].parameters()]
    trainer.fit()  # samples at step 0 and 1 in eval mode with the sampling batch: no compilation of their own
    assert fresh_dynamo["stats"]["unique_graphs"] == 4
    assert (tmp_path / "run" / "samples" / "step_00000001.png").exists()


def test_a_compiler_failure_is_one_error_line(make_exp, config_tree, tmp_path, monkeypatch, fresh_dynamo):
    import torch._inductor.compile_fx as compile_fx

    def broken(*args, **kwargs):
        raise RuntimeError("C++ compile error\n\nCommand:\ng++ ... (pages of it)")

    monkeypatch.setattr(compile_fx, "compile_fx", broken)
    exp = make_exp(config_tree, steps=1, compile=True, sample_every=0, checkpoint_every=0)
    with pytest.raises(ConfigError) as err:
        Trainer(exp, tmp_path / "run", show_progress=False).fit()
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("train.compile: torch.compile (backend inductor) failed: RuntimeError: C++ compile error;")
    assert "train.compile: false" in message and "aot_eager" in message
