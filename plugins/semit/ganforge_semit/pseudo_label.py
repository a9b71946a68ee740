"""SEMIT's noise-tolerant pseudo-labelling (paper Sec. 3.1), as an extra strategy any
class- or domain-conditional recipe can add.

The released code does not contain it; this follows the paper's description (a
classifier trained on the labelled part assigns pseudo-labels to the unlabelled part,
with a procedure that tolerates the noise of its own mistakes). Where the text leaves a
choice, the choice is named here and in the README:

* *student* — a small image classifier trained on the labelled rows and, once it is
  confident, on the pseudo-labelled rows, each weighted by the confidence of its label;
* *observer* — an exponential moving average of the student; the observer, not the
  student, assigns the labels, so one noisy student update cannot flip them;
* a label is assigned only when the observer's softmax confidence reaches ``threshold``,
  and only after ``warmup`` student updates; a sample keeps its last confident label
  (memory by dataset index) when the observer is unsure on a later visit;
* rows left without a label are swapped for labelled rows from a replay buffer, so the
  recipe always receives full batches whose every row has a label.

With ``pseudo_labels: false`` the same strategy is the supervised baseline of the
paper's comparisons: unlabelled rows are only swapped for labelled ones.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field

import ganforge
from ganforge.run import Run

from .classifier import Classifier

LABELLED, PSEUDO, REPLAYED, GUESSED = 0, 1, 2, 3


class PseudoLabellingParams(ganforge.Params):
    field: Literal["domain", "class_label"] = Field("class_label", description="the label unlabelled rows lack (-1)")
    pseudo_labels: bool = Field(True, description="assign pseudo-labels; false = labelled rows only (baseline)")
    threshold: float = Field(0.9, gt=0.0, le=1.0, description="observer confidence needed to assign a label")
    observer_beta: float = Field(0.99, ge=0.0, lt=1.0, description="EMA decay of the observer (the student's average)")
    warmup: int = Field(100, ge=0, description="student updates before the observer assigns labels")
    weight: float = Field(1.0, ge=0.0, description="weight of the pseudo-labelled rows in the student's loss")
    width: int = Field(32, ge=1, description="channels of the classifier's first layer")
    downsamples: int = Field(3, ge=1, description="stride-2 layers of the classifier")
    lr: float = Field(1e-3, gt=0.0, description="Adam learning rate of the student")
    replay: int = Field(256, ge=1, description="labelled rows kept to fill rows without a label")


class ReplayBuffer:
    """The most recent labelled rows (image and every Condition field), on the run's device."""

    def __init__(self, size: int):
        self.size, self.rows, self.next = size, [], 0

    def push(self, rows: dict[str, torch.Tensor]) -> None:
        for i in range(next(iter(rows.values())).shape[0]):
            row = {k: v[i].detach() for k, v in rows.items()}
            if len(self.rows) < self.size:
                self.rows.append(row)
            else:
                self.rows[self.next] = row
            self.next = (self.next + 1) % self.size

    def draw(self, n: int) -> dict[str, torch.Tensor]:
        picks = torch.randint(len(self.rows), (n,)).tolist()
        return {k: torch.stack([self.rows[i][k] for i in picks]) for k in self.rows[0]}

    def __len__(self) -> int:
        return len(self.rows)


class PseudoLabelling(ganforge.Strategy):
    """Noise-tolerant pseudo-labelling of the unlabelled rows (observer-student, confidence-gated)."""

    Params: ClassVar = PseudoLabellingParams

    def __init__(self, params: PseudoLabellingParams, data: ganforge.DataInfo):
        super().__init__(params, data)
        classes = data.num_domains if params.field == "domain" else data.num_classes
        if classes < 2:
            raise ganforge.ConfigError(f"strategy 'pseudo_labelling': the data has {classes} "
                                       f"{'domains' if params.field == 'domain' else 'classes'}; needs at least 2")
        self.student = Classifier(data.image_channels, classes, params.width, params.downsamples)
        self.observer = copy.deepcopy(self.student).requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.student.parameters(), lr=params.lr, betas=(0.9, 0.999))
        self.buffer = ReplayBuffer(params.replay)
        self.updates = 0
        self.memory = torch.full((0,), -1, dtype=torch.long)  # dataset index -> last confident label
        self.tally = torch.zeros(2)  # correct, assigned (scored against true_<field>) since the last evaluation

    @classmethod
    def requirements(cls, params: PseudoLabellingParams, data: ganforge.DataInfo) -> frozenset[str]:
        return frozenset({params.field})

    def get_extra_state(self) -> dict[str, Any]:
        """What a checkpoint needs beyond the student and observer weights, so a resumed run
        continues exactly: the student's optimiser, the label memory, the replay buffer."""
        return {"optimizer": self.optimizer.state_dict(), "updates": self.updates, "memory": self.memory,
                "tally": self.tally, "buffer": {"rows": self.buffer.rows, "next": self.buffer.next}}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.updates, self.memory, self.tally = state["updates"], state["memory"], state["tally"]
        self.buffer.rows, self.buffer.next = list(state["buffer"]["rows"]), state["buffer"]["next"]

    @ganforge.hookimpl
    def ganforge_setup(self, run: Run) -> None:
        self.to(run.device)

    # -- labels ------------------------------------------------------------------------
    def _remembered(self, index: torch.Tensor | None, label: torch.Tensor, accept: torch.Tensor,
                    learn: bool) -> torch.Tensor:
        """Store confident labels by dataset index (when ``learn``); unsure rows get their
        last confident one."""
        if index is None:
            return torch.where(accept, label, -1)
        index = index.cpu()
        if not learn:
            known = torch.full_like(index, -1)
            seen = index < len(self.memory)
            known[seen] = self.memory[index[seen]]
            return torch.where(accept.cpu(), label.cpu(), known).to(label.device)
        if int(index.max()) >= len(self.memory):
            grown = torch.full((int(index.max()) + 1,), -1, dtype=torch.long)
            grown[:len(self.memory)] = self.memory
            self.memory = grown
        self.memory[index[accept.cpu()]] = label.cpu()[accept.cpu()]
        return self.memory[index].to(label.device)

    @torch.no_grad()
    def assign(self, image: torch.Tensor, label: torch.Tensor, index: torch.Tensor | None,
               learn: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(labels, kind, confidence) per row: observed labels kept; unlabelled rows get a
        confident (or remembered) pseudo-label, else the observer's guess (kind GUESSED).
        ``learn``: remember the confident ones."""
        kind = torch.where(label >= 0, LABELLED, GUESSED)
        out, confidence = label.clone(), torch.zeros_like(label, dtype=torch.float)
        rows = (label < 0).nonzero().flatten()
        if not len(rows):
            return out, kind, confidence
        prob = F.softmax(self.observer(image[rows]).float(), dim=1)
        sure, guess = prob.max(1)
        ready = self.params.pseudo_labels and self.updates >= self.params.warmup
        accept = sure >= self.params.threshold if ready else torch.zeros_like(guess, dtype=torch.bool)
        sub_index = None if index is None else index[rows]
        pseudo = self._remembered(sub_index, guess, accept, learn) if ready else torch.full_like(guess, -1)
        out[rows] = torch.where(pseudo >= 0, pseudo, guess)
        kind[rows] = torch.where(pseudo >= 0, PSEUDO, GUESSED)
        return out, kind, confidence.index_put((rows,), sure)

    @ganforge.hookimpl
    def ganforge_prepare_batch(self, run: Run, batch: dict[str, Any]) -> None:
        """Pseudo-labels for the unlabelled rows; rows still without one are swapped for
        labelled rows of the replay buffer (kept with the observer's guess while it is empty).
        Outside training (sample grids, evaluation) rows get labels and nothing is learnt."""
        name, cond = self.params.field, batch["cond"]
        observed = cond[name]
        if not run.training:
            batch["cond"] = cond.replace(**{name: self.assign(batch["image"], observed, batch.get("index"),
                                                              learn=False)[0]})
            return
        label, kind, confidence = self.assign(batch["image"], observed, batch.get("index"))
        rows = {"image": batch["image"], **cond.replace(**{name: label})}
        self.buffer.push({k: v[kind == LABELLED] for k, v in rows.items()})
        missing = (kind == GUESSED).nonzero().flatten()
        if len(missing) and len(self.buffer):
            for k, v in self.buffer.draw(len(missing)).items():
                rows[k] = rows[k].index_put((missing,), v.to(rows[k].dtype))
            kind = kind.index_put((missing,), torch.tensor(REPLAYED, device=kind.device))
        truth = batch.get(f"true_{name}")
        batch["image"] = rows.pop("image")
        batch["cond"] = ganforge.Condition(rows)
        batch["pseudo_labelling"] = {"kind": kind, "observed": observed, "label": rows[name],
                                     "truth": truth, "confidence": confidence}

    # -- the student -------------------------------------------------------------------
    def train_student(self, image: torch.Tensor, label: torch.Tensor, kind: torch.Tensor,
                      confidence: torch.Tensor) -> dict[str, torch.Tensor]:
        """One student update: cross-entropy on labelled (and replayed) rows, weighted by
        the observer's confidence on pseudo-labelled ones; then the observer follows."""
        weight = torch.where(kind == PSEUDO, self.params.weight * confidence, (kind != GUESSED).float())
        if not bool((weight > 0).any()):
            return {}
        with torch.enable_grad():
            logits = self.student(image.detach()).float()
            per_row = F.cross_entropy(logits, label.clamp(min=0), reduction="none")
            loss = (weight * per_row).sum() / weight.sum()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        self.updates += 1
        with torch.no_grad():
            for o, s in zip(self.observer.parameters(), self.student.parameters()):
                o.lerp_(s, 1.0 - self.params.observer_beta)
        return {"pl_student_loss": loss.detach()}

    def score(self, info: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Share of the unlabelled rows given a pseudo-label, and their accuracy against the hidden truth."""
        kind, unlabelled = info["kind"], info["observed"] < 0
        logs = {"pl_assigned": (kind[unlabelled] == PSEUDO).float().mean() if unlabelled.any() else torch.tensor(0.0)}
        pseudo = kind == PSEUDO
        if info["truth"] is not None and pseudo.any():
            correct = (info["label"][pseudo] == info["truth"][pseudo]).float()
            logs["pl_accuracy"] = correct.mean()
            self.tally += torch.stack([correct.sum(), torch.tensor(float(len(correct)), device=correct.device)]).cpu()
        return logs

    @ganforge.hookimpl(wrapper=True)
    def ganforge_discriminator_step(self, run: Run, batch: dict[str, Any]):
        """Training only: the student learns from this batch, and the step logs the pseudo-labels."""
        result = yield
        info = batch.get("pseudo_labelling")
        if info is None or result is None:
            return result
        logs = self.train_student(batch["image"], info["label"], info["kind"], info["confidence"])
        logs.update(self.score(info))
        return ganforge.StepResult(result.loss, {**result.logs, **logs})

    @ganforge.hookimpl
    def ganforge_evaluate(self, run: Run) -> dict[str, float] | None:
        correct, assigned = self.tally.tolist()
        self.tally.zero_()
        return {"pseudo_label_accuracy": correct / assigned, "pseudo_labelled": assigned} if assigned else None
