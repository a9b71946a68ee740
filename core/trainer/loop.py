"""The training loop: one for every paper.

A step is: prepare the batch (strategies' ``ganforge_prepare_batch``), the recipe's
``updates`` in its order — by default the discriminator phase (the recipe's loss, lazy
R1 when configured, backward, gradient averaging across ranks, optimiser step), then the
generator phase (the same); SPADE's recipe the other way round, as its official
trainer — the EMA update, then the ``ganforge_after_step`` observers. The recipe only
computes losses; backward, precision, data parallelism, checkpoints and logging are the
trainer's.

Sampling and evaluation run under a forked RNG seeded from the config, so they draw the
same noise every time and never disturb the training RNG: a run resumed from a
checkpoint continues bit-identically on CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from ganforge import registry as _registry
from ganforge.conditioning import routes
from ganforge.config import Experiment, check_components, dump_config, naming, run_optimizers, verify
from ganforge.errors import ConfigError, GanforgeWarning, StrategyError
from ganforge.finite import all_finite, nonfinite, nonfinite_modules
from ganforge.interfaces import StepResult
from ganforge.report import write_report
from ganforge.report import metadata
from ganforge.report.rows import save_rows
from ganforge.run import Run
from ganforge.runhooks import missing_step_result
from ganforge.weights import load_checked

from . import checkpoint as ckpt
from .assemble import assemble, parameter_counts
from .compiling import compile_failure, compile_networks
from .data import Batches, Position, fixed_batch, to_run_batch
from .distributed import (World, average_gradients, barrier, broadcast_modules, gather_objects, init_world,
                          mean_over_ranks, shutdown)
from .ema import EMA
from .evaluation import metric_values
from .guard import DivergenceWatch, check_finite, nonfinite_state
from .host_memory import set_host_memory
from .interrupt import StopRequest, TrainingInterrupted, stop_on_signals
from .optim import lr_factor, make_optimizers, phases, set_learning_rates
from .penalty import r1_due, r1_penalty
from .precision import PHASES, amp_dtype, make_scalers, resolve_device
from .progress import Progress, truncate_log
from .lock import lock_run_dir
from .samples import sample_rows
from .syncbn import sync_batchnorm

LOSS_KEYS = {"discriminator": "d_loss", "generator": "g_loss"}
# Config sections that must not change when a run is resumed (they define the weights).
FIXED_ON_RESUME = ("data", "models", "strategy", "strategies")
# optim: its names and types are fixed on resume; hyper-parameters (lr, betas ...) may change, recorded


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


class Trainer:
    """Builds a run from a config and trains it. ``fit()`` runs to ``train.steps``."""

    def __init__(self, exp: Experiment, run_dir: str | os.PathLike, resume: bool = False,
                 show_progress: bool = True, source: str = "config", init: str | os.PathLike | None = None):
        self.exp = exp
        self.cfg = exp.train
        self.run_dir = Path(run_dir)
        wants_cuda = self.cfg.device == "cuda" or (self.cfg.device == "auto" and torch.cuda.is_available())
        self.world_owned = not (torch.distributed.is_available() and torch.distributed.is_initialized())
        self.world: World = init_world("cuda" if wants_cuda else "cpu")
        self.device = resolve_device(self.cfg.device, self.world.local_rank)
        self.amp_dtype = amp_dtype(self.cfg.precision, self.device)
        self.host_memory_note = set_host_memory(self.cfg.host_memory)  # before the networks are allocated

        self.lock = lock_run_dir(self.run_dir) if self.world.is_main else None
        try:
            self._build(resume, show_progress, source, init)
        except BaseException:
            if self.lock is not None:  # a run that never started does not keep its folder
                self.lock.close()
            raise

    def _build(self, resume: bool, show_progress: bool, source: str, init: str | os.PathLike | None) -> None:
        exp = self.exp
        resume_from = self._find_checkpoint(resume)
        seed_everything(self.cfg.seed)  # identical initial weights on every rank
        with naming(source):
            check_components(exp)  # names and params before anything is built
            self.dataset = _registry.build("dataset", exp.data, path="data")
            self.data_info = self.dataset.info()
        net_info = verify(exp, self.data_info, source=source)
        parts = assemble(exp, net_info)
        self.kinds, self.strategies, self.pm = parts.kinds, parts.strategies, parts.pm
        self.networks = self._prepare_networks(parts.models)
        for s in self.strategies:
            s.to(self.device)
        self.run = Run(config=exp, data=net_info, models=self.networks, device=self.device,
                       amp_dtype=self.amp_dtype, hook=self.pm.hook, routes=routes(exp), kinds=dict(self.kinds))
        self.pm.hook.ganforge_setup(run=self.run)
        init_ema = self._init_weights(init) if init is not None and resume_from is None else {}
        broadcast_modules(list(self.networks.values()), self.world)
        self.ema = {role: EMA(self.networks[role], self.cfg.ema.beta, self.cfg.ema.start)
                    for role in self.cfg.ema.roles if self.cfg.ema.enabled and role in self.networks}
        for role, sd in init_ema.items():
            if role in self.ema:
                self.ema[role].shadow.load_state_dict(sd)
        self.run.ema = {role: e.shadow for role, e in self.ema.items()}
        self.run.models = compile_networks(self.networks, self.cfg.compile)
        recipe_optims = run_optimizers(exp)
        self.optimizers = make_optimizers(self.run, exp, recipe_optims)
        self.phase_optims = phases(recipe_optims, self.kinds, self.optimizers)
        self.scalers = make_scalers(self.cfg.precision, self.device)
        self.position = Position()
        self.last_good: str | None = None
        self.window: dict[str, list[float]] = {}  # per-step logs since the last log line
        self.changes: list[dict[str, Any]] = []  # optimiser settings changed on resume
        self.divergence = DivergenceWatch()
        if resume_from is not None:
            self._load(resume_from)
            if self.run.step >= self.cfg.steps:
                raise ConfigError(f"{resume_from}: the run is already at step {self.run.step} and train.steps is "
                                  f"{self.cfg.steps}: nothing to train; continue with a larger train.steps "
                                  f"(--set train.steps={2 * self.run.step})")
        else:
            seed_everything(self.cfg.seed + self.world.rank)  # per-rank noise from here on
        self.batches = Batches(self.dataset, self.cfg.batch_size, self.world, self.cfg.seed,
                               self.cfg.num_workers, self.position)
        self.sample_batch = to_run_batch(fixed_batch(self.dataset, self.cfg.sample_size), self.data_info,
                                         self.device, self.cfg.channels_last)
        self.metrics = [_registry.build("metric", m, net_info, path=f"eval.metrics.{i}").to(self.device)
                        for i, m in enumerate(exp.eval.metrics)]
        self.resumed = resume_from is not None
        self.reported_skips = 0
        if self.world.is_main:
            self._init_run_dir()
        self.show_progress = show_progress
        self.progress = Progress(self.run_dir, self.cfg.steps, self.run.step, self.world.is_main, show_progress)
        self.progress.message(f"{'resumed at step ' + str(self.run.step) if self.resumed else 'started'}: "
                              f"{self.cfg.steps} steps on {self.device} ({self.world.size} process"
                              f"{'es' if self.world.size > 1 else ''}), run folder {self.run_dir}")
        if self.host_memory_note:
            self.progress.message(self.host_memory_note)
        for c in self.changes:
            self.progress.message(f"changed on resume at step {c['step']}: {c['field']} {c['old']} -> {c['new']} "
                                  "(recorded in changes.jsonl)")

    # -- construction --------------------------------------------------------------
    def _find_checkpoint(self, resume: bool) -> Path | None:
        latest = ckpt.latest_checkpoint(self.run_dir)
        if latest is not None and not resume:
            raise ConfigError(f"run folder {self.run_dir} already holds checkpoints (latest {latest.name}); "
                              "pass --resume to continue it or --out for a new run")
        return latest if resume else None

    def _prepare_networks(self, models: nn.ModuleDict) -> nn.ModuleDict:
        if self.world.distributed:
            models = nn.ModuleDict({r: sync_batchnorm(m, self.device.type, self.cfg.sync_batchnorm)
                                    for r, m in models.items()})
        models.to(self.device)
        if self.cfg.channels_last:
            models.to(memory_format=torch.channels_last)
        return models.train()

    def _init_run_dir(self) -> None:
        (self.run_dir / "samples").mkdir(parents=True, exist_ok=True)
        (self.run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        text = dump_config(self.exp).encode("utf-8")
        ckpt.atomic_write(self.run_dir / "config.yaml", lambda f: f.write(text))
        plugins = [(p.name, p.version) for p in _registry.get_registry().plugins if p.status == "ok"]
        metadata.write(self.run_dir, metadata.collect(self.device, self.world.size, parameter_counts(self.networks),
                                                      self.run.step, plugins))
        if self.resumed:
            step = self.run.step  # lines logged after this checkpoint belong to a lost future
            truncate_log(self.run_dir / "metrics.jsonl", lambda s: s <= step)
            # a change is stated against this checkpoint: earlier resumes from it are superseded
            kept = truncate_log(self.run_dir / "changes.jsonl", lambda s: s < step)
            text = "".join([line + "\n" for line in kept] + [json.dumps(c) + "\n" for c in self.changes])
            if text:
                ckpt.atomic_write(self.run_dir / "changes.jsonl", lambda f: f.write(text.encode()))
        else:
            (self.run_dir / "metrics.jsonl").unlink(missing_ok=True)
            (self.run_dir / "train.log").unlink(missing_ok=True)

    # -- the loop --------------------------------------------------------------------
    def fit(self) -> Run:
        """Train to ``train.steps``; on any error the report still shows what happened."""
        try:
            if not self.resumed:
                self._sample()
            stream = iter(self.batches)
            with stop_on_signals() as stop:
                while self.run.step < self.cfg.steps:
                    self.advance(next(stream))
                    if stop.requested(self.world, self.device):
                        self._stop(stop)
            self.progress.message(f"finished at step {self.run.step}")
            return self.run
        except BaseException as exc:
            self.progress.message(f"stopped at step {self.run.step}: {type(exc).__name__}: {exc}")
            raise
        finally:
            self.progress.close()
            if self.world.is_main:
                write_report(self.run_dir)
            if self.lock is not None:
                self.lock.close()
            shutdown(self.world, self.world_owned)

    def advance(self, raw: dict[str, Any]) -> None:
        """What `fit` does per batch: the step, its logs into the log window, the progress
        bar, and whatever is due at the new step (log line and weight check, samples,
        evaluation, checkpoint). ``benchmarks/trainer_overhead.py`` times this."""
        for k, v in self._checked_step(raw).items():
            self.window.setdefault(k, []).append(v)
        self.progress.step()
        self._periodic(self.window)

    def _checked_step(self, raw: dict[str, Any]) -> dict[str, float]:
        """`train_step`, with batch norm's refusal of a single value per channel turned into
        an error naming the field that causes it."""
        try:
            return self.train_step(raw)
        except Exception as exc:
            failure = compile_failure(exc, self.cfg.compile) if self.cfg.compile else None
            if failure is not None:
                raise failure from None
            if not isinstance(exc, ValueError) or "Expected more than 1 value per channel" not in str(exc):
                raise
            raise ConfigError(f"train.batch_size: {self.cfg.batch_size} ({self.batches.per_rank} per process) gives a "
                              "BatchNorm layer one value per channel (a batch of 1 through a 1x1 feature map); "
                              "use at least 2 samples per process") from None

    def train_step(self, raw: dict[str, Any]) -> dict[str, float]:
        """One step on one raw batch; returns the step's logs as floats."""
        run, hook = self.run, self.pm.hook
        set_learning_rates(self.optimizers, lr_factor(self.exp.schedule, run.step, self.cfg.steps))
        batch = to_run_batch(raw, self.data_info, self.device, self.cfg.channels_last)
        hook.ganforge_prepare_batch(run=run, batch=batch)
        logs: dict[str, float] = {}
        r1_pending = r1_due(self.cfg.r1, run.step)
        for phase, update in type(self.strategies[0]).updates:
            batch["update"] = update
            if phase == "discriminator":
                result = hook.ganforge_discriminator_step(run=run, batch=batch)
                if r1_pending and result is not None and result.loss is not None:  # once per step
                    penalty = r1_penalty(run.models[self.cfg.r1.role], batch, self.cfg.r1)
                    result = StepResult(result.loss + penalty, {**result.logs, "r1": penalty}, result.optimizers)
                    r1_pending = False
            else:
                result = hook.ganforge_generator_step(run=run, batch=batch)
            self._phase(phase, result, logs)
        batch.pop("update", None)
        for e in self.ema.values():
            e.update(run.step)
        run.step += 1
        hook.ganforge_after_step(run=run, step=run.step, logs=logs)
        return logs

    def _phase(self, phase: str, result: StepResult | None, logs: dict[str, float]) -> None:
        """Log, guard, backward, average and step one player's optimisers."""
        if result is None:
            if phase in type(self.strategies[0]).may_skip:
                return
            raise StrategyError(missing_step_result(self.strategies, phase))
        loss = result.loss
        names = list(result.logs)
        device = loss.device if loss is not None else self.device
        values = [torch.as_tensor(v, dtype=torch.float32, device=device).detach().reshape(())
                  for v in result.logs.values()]
        if loss is not None:
            values.insert(0, loss.detach().float().reshape(()))
            names.insert(0, LOSS_KEYS[phase])
        if not values:
            return
        floats = mean_over_ranks(torch.stack(values), self.world).tolist()
        if loss is not None and names[0] in logs:  # a phase with several updates logs their sum
            floats[0] += logs[names[0]]
        logs.update(zip(names, floats))
        if loss is None:
            return
        check_finite(phase, floats[0], logs, self.run.step, self.last_good)
        optims = [self.optimizers[n] for n in self.phase_optims[phase]
                  if result.optimizers is None or n in result.optimizers]
        if not optims:
            return
        scaler = self.scalers[phase]
        for opt in optims:
            opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        params = [p for opt in optims for g in opt.param_groups for p in g["params"]]
        average_gradients(params, self.world)
        if not scaler.is_enabled():  # fp16's scaler skips a step with non-finite gradients itself
            self._guard_gradients(phase, params)
        for opt in optims:
            scaler.step(opt)
        scaler.update()

    # -- the NaN guard beyond the loss (see guard.py) ------------------------------------
    def _on_any_rank(self, flag: bool) -> bool:
        """``flag`` is True on at least one rank (every rank takes the same branch)."""
        value = torch.tensor([float(flag)], device=self.device)
        return bool(mean_over_ranks(value, self.world).item() > 0)

    def _guard_gradients(self, phase: str, params: list[torch.Tensor]) -> None:
        """Averaged gradients are the same on every rank, so no agreement is needed."""
        if all_finite(p.grad for p in params if p.grad is not None):
            return
        names = nonfinite_modules(dict(self.networks), grads=True)
        raise nonfinite_state(f"the {phase} phase's gradients", names, self.run.step + 1, self.last_good,
                              "before the update")

    def _guard_weights(self, step: int) -> None:
        """Weights, buffers (BatchNorm statistics, per rank) and EMA copies, at each log step
        (every step would cost ~3% of a small CPU step; a checkpoint checks everything anyway)."""
        modules = {**self.networks, **{f"ema.{r}": m for r, m in self.run.ema.items()}}
        tensors = [t for m in modules.values() for t in (*m.parameters(), *m.buffers())]
        if not self._on_any_rank(not all_finite(tensors)):
            return
        raise nonfinite_state("the weights or buffers", nonfinite_modules(modules), step, self.last_good,
                              "(nothing was saved since they went bad)")

    def _stop(self, stop: StopRequest) -> None:
        """After a signal: a checkpoint at this step boundary (unless one was just written), then stop."""
        name = ckpt.checkpoint_name(self.run.step)
        path = self.run_dir / "checkpoints" / name
        if not path.exists():
            path = self.save_checkpoint() or path
        what = stop.signal.name if stop.signal is not None else "a signal on another rank"
        raise TrainingInterrupted(f"stopped by {what} after step {self.run.step}; checkpoint {path}; "
                                  f"continue with `ganforge train ... --out {self.run_dir} --resume`")

    def _periodic(self, window: dict[str, list[float]]) -> None:
        step, cfg, last = self.run.step, self.cfg, self.run.step == self.cfg.steps
        if step % cfg.log_every == 0 or last:
            self._guard_weights(step)
            means = {k: sum(v) / len(v) for k, v in window.items()}
            skipped = getattr(self.dataset, "num_skipped", 0)  # on_error: skip (this process's count)
            if skipped:
                means["data_skipped"] = float(skipped)
                if skipped > self.reported_skips and self.world.is_main:
                    warnings.warn(f"step {step}: {skipped} bad samples skipped so far (data.on_error: skip), e.g. "
                                  f"{next(reversed(self.dataset.errors.values()))}", GanforgeWarning, stacklevel=2)
                self.reported_skips = skipped
            self.progress.log(step, means)
            window.clear()
            for message in self.divergence.check(step, means) if self.world.is_main else ():
                warnings.warn(message, GanforgeWarning, stacklevel=2)
        if self.metrics or self.pm.hook.ganforge_evaluate.get_hookimpls():
            if (cfg.eval_every and step % cfg.eval_every == 0) or last:
                with self.progress.warnings_to_log():
                    values = self.evaluate()
                self.progress.log(step, values, kind="eval")
        if (cfg.sample_every and step % cfg.sample_every == 0) or last:
            self._sample()
        if (cfg.checkpoint_every and step % cfg.checkpoint_every == 0) or last:
            self.save_checkpoint()

    # -- sampling and evaluation ---------------------------------------------------------
    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        """Forked RNG with a fixed seed, no autograd, every network in eval mode, ``run.training`` False,
        the uncompiled networks (``train.compile`` is for training steps)."""
        devices = [self.device] if self.device.type == "cuda" else []
        compiled, self.run.models = self.run.models, self.networks
        modes = [(m, m.training) for m in [*self.networks.values(), *self.run.ema.values()]]
        with torch.random.fork_rng(devices=devices, device_type=self.device.type), torch.no_grad():
            torch.manual_seed(self.cfg.seed)
            for m, _ in modes:
                m.eval()
            self.run.training = False
            try:
                yield
            finally:
                self.run.training = True
                self.run.models = compiled
                for m, mode in modes:
                    m.train(mode)

    def _sample(self) -> None:
        """Write samples/step_XXXXXXXX.png from the fixed batch (rank 0 only), prepared by
        the strategies as training, evaluation and ``ganforge sample`` prepare theirs."""
        if not self.world.is_main:
            return
        run, batch = self.run, dict(self.sample_batch)  # prepare_batch edits in place; the fixed batch stays
        with self._inference():
            self.pm.hook.ganforge_prepare_batch(run=run, batch=batch)
            images = sample_rows(self.pm.hook, run, batch)
        save_rows(images, self.run_dir / "samples" / f"step_{run.step:08d}.png", columns=batch["image"].shape[0])
        write_report(self.run_dir)

    def evaluate(self) -> dict[str, float]:
        """The configured metrics on ``eval.batches`` batches (same ones every time, split
        across ranks) plus the strategies' ``ganforge_evaluate`` numbers."""
        run, out = self.run, {}
        with self._inference():
            if self.metrics:
                sampler = DistributedSampler(self.dataset, self.world.size, self.world.rank, shuffle=False)
                loader = DataLoader(self.dataset, batch_size=self.batches.per_rank, sampler=sampler,
                                    num_workers=self.cfg.num_workers,
                                    generator=torch.Generator().manual_seed(self.cfg.seed))
                out.update(metric_values(run, self.metrics, loader, self.data_info,
                                         self.exp.eval.batches, self.cfg.channels_last,
                                         progress=self.show_progress and self.world.is_main))
            for extra in self.pm.hook.ganforge_evaluate(run=run):
                if extra:
                    out.update(extra)
        return {k: float(v) for k, v in out.items()}

    # -- checkpoints ---------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything a checkpoint holds except the RNG states (gathered separately)."""
        keep = (torch.Tensor, int, float, str, bool)
        return {
            "step": self.run.step,
            "world_size": self.world.size,
            "config": self.exp.model_dump(mode="json"),
            "models": {r: m.state_dict() for r, m in self.networks.items()},
            "ema": {r: e.shadow.state_dict() for r, e in self.ema.items()},
            "strategies": [s.state_dict() for s in self.strategies],
            "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
            "scalers": {p: s.state_dict() for p, s in self.scalers.items()},
            "data": {"epoch": self.batches.position.epoch, "batch": self.batches.position.batch},
            "run_state": {k: v for k, v in self.run.state.items() if isinstance(v, keep)},
            # the log window's steps since the last log line: a resume then logs the same means
            "log_window": {k: list(v) for k, v in self.window.items()},
        }

    def save_checkpoint(self) -> Path | None:
        """Atomically write checkpoints/step_XXXXXXXX.pt (rank 0) and prune old ones; state
        holding NaN or Inf (on any rank) is never written, so no good checkpoint is pruned for it."""
        state = self.state()
        bad = nonfinite({k: state[k] for k in ("models", "ema", "strategies", "optimizers", "run_state")})
        if self._on_any_rank(bool(bad)):
            raise nonfinite_state("the tensors to checkpoint", bad, self.run.step, self.last_good,
                                  "without writing it")
        rngs = gather_objects(ckpt.rng_state(), self.world)
        path = None
        if self.world.is_main:
            path = self.run_dir / "checkpoints" / ckpt.checkpoint_name(self.run.step)
            ckpt.save(path, {**state, "rng": rngs})
            ckpt.prune(path.parent, self.cfg.keep_last)
            self.last_good = str(path)
        barrier(self.world)
        return path

    def _init_weights(self, path: str | os.PathLike) -> dict[str, dict]:
        """Fine-tuning: the networks' weights from a ganforge checkpoint (a trained run's or
        one written by ``ganforge import``); optimisers, step and data start afresh. Returns
        the checkpoint's EMA weights for the EMA copies."""
        state = ckpt.load(path, map_location=self.device)
        unknown = sorted(set(state["models"]) - set(self.networks))
        if unknown:
            raise ConfigError(f"{path}: holds {', '.join(unknown)}, which this config does not build "
                              f"(it has {', '.join(self.networks)})")
        for role, sd in state["models"].items():
            try:
                self.networks[role].load_state_dict(sd)
            except RuntimeError as exc:
                raise ConfigError(f"{path}: models.{role} does not fit this config's network: "
                                  f"{str(exc).splitlines()[0]}") from None
        return state["ema"]

    def _load(self, path: Path) -> None:
        state = ckpt.load(path, map_location=self.device, require=ckpt.FOR_RESUME)
        self._check_resumable(state, path)
        for role, sd in state["models"].items():
            load_checked(self.networks[role], sd, f"{path} models.{role}")
        for role, sd in state["ema"].items():
            if role in self.ema:
                load_checked(self.ema[role].shadow, sd, f"{path} ema.{role}")
        for strategy, sd in zip(self.strategies, state.get("strategies", [])):
            strategy.load_state_dict(sd)
        fresh = {n: [dict(g) for g in self.optimizers[n].param_groups] for n in {c["optimizer"] for c in self.changes}}
        for name, sd in state["optimizers"].items():
            self.optimizers[name].load_state_dict(sd)
        for name, groups in fresh.items():  # the chosen settings replace the checkpoint's (state kept)
            keys = {c["key"] for c in self.changes if c["optimizer"] == name}
            keys |= {"base_lr"} if "lr" in keys else set()
            for group, new in zip(self.optimizers[name].param_groups, groups):
                group.update({k: new[k] for k in keys})
        for c in self.changes:
            del c["optimizer"], c["key"]
            c["step"] = state["step"]
        for phase in PHASES:
            self.scalers[phase].load_state_dict(state["scalers"][phase])
        self.run.step = state["step"]
        self.run.state.update(state["run_state"])
        self.window = {k: [float(x) for x in v] for k, v in state.get("log_window", {}).items()}
        self.position = Position(state["data"]["epoch"], state["data"]["batch"])
        ckpt.set_rng_state(state["rng"][self.world.rank])
        self.last_good = str(path)

    def _check_resumable(self, state: dict[str, Any], path: Path) -> None:
        current = self.exp.model_dump(mode="json")
        changed = [k for k in FIXED_ON_RESUME if current[k] != state["config"].get(k)]
        if changed:
            raise ConfigError(f"{path}: cannot resume, the config changed in {', '.join(changed)} "
                              "since this checkpoint was written; use a new --out")
        self.changes = optim_changes(state["config"].get("optim", {}), current["optim"], path)
        if state["world_size"] != self.world.size:
            raise ConfigError(f"{path}: written by {state['world_size']} processes, resumed with "
                              f"{self.world.size}; resume with the same number of processes")


def optim_changes(old: dict[str, dict], new: dict[str, dict], path: Path) -> list[dict[str, Any]]:
    """The optimiser hyper-parameters a resume changes (each a record for changes.jsonl);
    a different set of optimisers or type is a ConfigError: their state would not fit."""
    if set(old) != set(new) or any(old[n].get("type") != new[n].get("type") for n in new):
        raise ConfigError(f"{path}: cannot resume, the optimisers or their types changed in optim since this "
                          "checkpoint was written (only their settings, such as lr, may change); use a new --out")
    return [{"optimizer": n, "key": k, "field": f"optim.{n}.{k}", "old": old[n].get(k), "new": v}
            for n in sorted(new) for k, v in new[n].items() if old[n].get(k) != v]


def train(exp: Experiment, run_dir: str | os.PathLike, resume: bool = False, show_progress: bool = True,
          source: str = "config", init: str | os.PathLike | None = None) -> Run:
    """Train ``exp`` into ``run_dir`` (``resume`` continues from its latest checkpoint;
    ``init`` starts a new run from the weights of a ganforge checkpoint, e.g. an imported
    official one); ``source`` names the config in error messages."""
    return Trainer(exp, run_dir, resume=resume, show_progress=show_progress, source=source, init=init).fit()
