"""The pseudo-labelling strategy on its own: which rows get labels, memory, replay,
the student and observer, the baseline, sampling and evaluation, checkpoints."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ganforge
from ganforge.run import Run
from ganforge.trainer.assemble import run_manager
from ganforge_semit.pseudo_label import GUESSED, LABELLED, PSEUDO, REPLAYED, PseudoLabelling

DATA = ganforge.DataInfo(fields=frozenset({"domain"}), num_domains=3, resolution=(8, 8))


def strategy(**params) -> PseudoLabelling:
    torch.manual_seed(0)
    base = {"field": "domain", "width": 4, "downsamples": 1, "warmup": 0, "threshold": 0.8, "replay": 4}
    return ganforge.build("strategy", {"type": "pseudo_labelling", **base, **params}, DATA)


def make_sure(s: PseudoLabelling, cls: int | None) -> None:
    """Observer certain of ``cls`` for every image (None: uniform, never confident)."""
    with torch.no_grad():
        s.observer.head.weight.zero_()
        s.observer.head.bias.zero_()
        if cls is not None:
            s.observer.head.bias[cls] = 20.0


def batch(labels, indices) -> dict:
    gen = torch.Generator().manual_seed(sum(indices))
    return {"image": torch.rand(len(labels), 3, 8, 8, generator=gen) * 2 - 1,
            "cond": ganforge.Condition(domain=torch.tensor(labels)), "index": torch.tensor(indices),
            "true_domain": torch.tensor([2] * len(labels))}


RUN = Run(config=None, data=DATA, models=nn.ModuleDict())


def test_confident_observer_labels_unlabelled_rows_and_remembers():
    s = strategy()
    make_sure(s, 2)
    b = batch([0, -1, -1, 1], [0, 1, 2, 3])
    s.ganforge_prepare_batch(RUN, b)
    info = b["pseudo_labelling"]
    assert b["cond"]["domain"].tolist() == [0, 2, 2, 1]
    assert info["kind"].tolist() == [LABELLED, PSEUDO, PSEUDO, LABELLED]
    assert s.memory.tolist() == [-1, 2, 2]  # grown up to the largest unlabelled index seen
    assert s.score(info)["pl_accuracy"] == 1.0 and s.score(info)["pl_assigned"] == 1.0
    # later, an unsure observer: remembered rows keep their label, a new row is swapped
    make_sure(s, None)
    b = batch([-1, -1, 1, -1], [1, 2, 3, 7])
    image = b["image"].clone()
    s.ganforge_prepare_batch(RUN, b)
    info = b["pseudo_labelling"]
    assert info["kind"].tolist() == [PSEUDO, PSEUDO, LABELLED, REPLAYED]
    assert b["cond"]["domain"][:3].tolist() == [2, 2, 1]
    buffered = torch.stack([row["image"] for row in s.buffer.rows])
    assert (buffered - b["image"][3]).abs().flatten(1).amax(1).min() == 0  # row 3 is a replayed labelled row
    assert torch.equal(b["image"][:3], image[:3])
    assert int(b["cond"]["domain"][3]) in (0, 1)


def test_no_labels_before_warmup_or_below_threshold():
    s = strategy(warmup=5)
    make_sure(s, 1)
    b = batch([-1, -1], [0, 1])
    s.ganforge_prepare_batch(RUN, b)
    assert b["pseudo_labelling"]["kind"].tolist() == [GUESSED, GUESSED]  # empty buffer: the observer's guess
    assert b["cond"]["domain"].tolist() == [1, 1]
    s = strategy(threshold=0.99)
    make_sure(s, None)  # confidence 1/3
    b = batch([-1, 0], [0, 1])
    s.ganforge_prepare_batch(RUN, b)
    assert b["pseudo_labelling"]["kind"].tolist() == [REPLAYED, LABELLED]


def test_baseline_never_assigns():
    s = strategy(pseudo_labels=False)
    make_sure(s, 2)
    b = batch([0, -1, -1], [0, 1, 2])
    s.ganforge_prepare_batch(RUN, b)
    assert b["pseudo_labelling"]["kind"].tolist() == [LABELLED, REPLAYED, REPLAYED]
    assert b["cond"]["domain"].tolist() == [0, 0, 0]


def test_student_learns_and_the_observer_follows():
    s = strategy(observer_beta=0.5, lr=0.01)
    b = batch([0, 1, 2, 0], [0, 1, 2, 3])
    kind = torch.zeros(4, dtype=torch.long)
    losses = [float(s.train_student(b["image"], b["cond"]["domain"], kind, torch.zeros(4))["pl_student_loss"])
              for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]
    assert s.updates == 30
    gap = max((o - p).abs().max() for o, p in zip(s.observer.parameters(), s.student.parameters()))
    assert gap < 0.05
    # guessed rows never train the student
    assert s.train_student(b["image"], b["cond"]["domain"], torch.full((4,), GUESSED), torch.zeros(4)) == {}


def test_outside_training_rows_get_labels_and_nothing_is_learnt():
    s = strategy()
    make_sure(s, 1)
    sampling = Run(config=None, data=DATA, models=nn.ModuleDict(), training=False)
    b = batch([0, -1], [0, 1])
    s.ganforge_prepare_batch(run=sampling, batch=b)
    assert b["cond"]["domain"].tolist() == [0, 1]
    assert "pseudo_labelling" not in b
    assert len(s.buffer) == 0 and len(s.memory) == 0  # no replay rows, nothing remembered


def test_state_dict_round_trip_resumes_memory_buffer_and_optimiser(tmp_path):
    s = strategy()
    make_sure(s, 2)
    b = batch([0, -1, -1, 1], [0, 1, 2, 3])
    s.ganforge_prepare_batch(run=RUN, batch=b)
    info = b["pseudo_labelling"]
    s.train_student(b["image"], info["label"], info["kind"], info["confidence"])
    torch.save(s.state_dict(), tmp_path / "s.pt")
    again = strategy(observer_beta=0.5)
    again.load_state_dict(torch.load(tmp_path / "s.pt", weights_only=True))
    assert torch.equal(again.memory, s.memory) and again.memory.tolist() == [-1, 2, 2]
    assert again.updates == s.updates == 1 and len(again.buffer) == len(s.buffer) == 2
    assert torch.equal(again.buffer.rows[1]["image"], s.buffer.rows[1]["image"])
    moments = [o.state_dict()["state"][0]["exp_avg"] for o in (again.optimizer, s.optimizer)]
    assert torch.equal(*moments)
    assert all(torch.equal(a, b) for a, b in zip(again.student.parameters(), s.student.parameters()))


def test_needs_its_field_and_two_classes():
    with pytest.raises(ganforge.ConditionMismatch, match="class_label"):
        ganforge.build("strategy", {"type": "pseudo_labelling", "field": "class_label"}, DATA)
    one = DATA.model_copy(update={"num_domains": 1})
    with pytest.raises(ganforge.ConfigError, match="needs at least 2"):
        ganforge.build("strategy", {"type": "pseudo_labelling", "field": "domain"}, one)
