"""Every hook of ganforge, the whole plugin contract in one file.

Two managers call them. The *installed* manager holds every discovered plugin and calls
`InstallSpecs` (registration, CLI commands, new hook specs). Each training run has its
own *run* manager holding only the recipe and extra strategies its config selects; it
calls `RunSpecs`, so a strategy's hooks act only in the runs that asked for it.

Implement a hook with a function (module plugins) or method (strategies) of the same
name decorated with ``@ganforge.hookimpl``. pluggy calls the most recently registered
implementation first; extra strategies are registered after the recipe, so their
``wrapper=True`` implementations wrap the recipe's steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click
    import torch

    from ganforge.interfaces import StepResult
    from ganforge.registry import Registrar
    from ganforge.run import Run

PROJECT = "ganforge"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class InstallSpecs:
    """Hooks called on every installed plugin."""

    @hookspec
    def ganforge_register(self, register: "Registrar") -> None:
        """Register the plugin's components and condition fields.

        Called once when the registry is built. One implementation may register any
        number of things through the callback; the registry records the plugin and the
        distribution each came from. Nothing is registered by importing a module.

        :param register: call ``register(kind, name, cls, summary=..., paper=...)`` per
            component (``params`` defaults to ``cls.Params``; ``summary`` to the first
            line of the class docstring), ``register.condition_field(FieldSpec(...))``
            for a new Condition field, and ``register.weights_file(WeightsFile(...))``
            for a pretrained file ``ganforge weights fetch`` can download.

        Example::

            @ganforge.hookimpl
            def ganforge_register(register):
                register("normalizer", "sean", SEANNorm, paper="arXiv:1911.12861")
        """

    @hookspec(historic=True)
    def ganforge_addhooks(self, pluginmanager: pluggy.PluginManager) -> None:
        """Add hook specifications of the plugin's own, for plugins of that plugin.

        Historic: plugins registered later still receive the call.

        :param pluginmanager: the installed manager; call ``pluginmanager.add_hookspecs(module)``.

        Example::

            @ganforge.hookimpl
            def ganforge_addhooks(pluginmanager):
                from . import my_hookspecs
                pluginmanager.add_hookspecs(my_hookspecs)
        """

    @hookspec
    def ganforge_cli(self, group: "click.Group") -> None:
        """Add commands to the ``ganforge`` command line (a paper's applications).

        :param group: the top-level click group; add commands with ``@group.command()``.
            Prefer one sub-group per plugin named after it to avoid clashes.

        Example::

            @ganforge.hookimpl
            def ganforge_cli(group):
                @group.group(name="sean")
                def sean():
                    "SEAN applications."
        """


class RunSpecs:
    """Hooks called on the run-scoped manager (the recipe and the extra strategies)."""

    @hookspec
    def ganforge_setup(self, run: "Run") -> None:
        """Called once after the networks are built, before optimisers exist.

        A strategy may rewire networks here (discriminator reuse makes the generator's
        encoder the discriminator's early layers) or add its own modules to ``run.models``.

        :param run: the run: ``run.models``, ``run.data``, ``run.config``, ``run.device``.

        Example::

            @ganforge.hookimpl
            def ganforge_setup(self, run):
                run.models["generator"].encoder = run.models["discriminator"].encoder
        """

    @hookspec(firstresult=True)
    def ganforge_param_groups(self, run: "Run", optimizer: str) -> "list[dict[str, Any]] | None":
        """The parameter groups of the optimiser named ``optimizer``.

        Stops at the first non-None result. Return None to keep the default: the
        parameters of the roles the recipe's ``Strategy.optimizers`` lists for it, minus
        parameters owned by another optimiser listed earlier.

        :param run: the run.
        :param optimizer: an optimiser name from the recipe's ``optimizers``.
        :returns: a list of ``{"params": [...], **overrides}`` groups, or None.

        Example (a separate learning rate for StarGAN v2's mapping network)::

            @ganforge.hookimpl
            def ganforge_param_groups(self, run, optimizer):
                if optimizer == "generator":
                    g = run.models["generator"]
                    return [{"params": g.synthesis.parameters()},
                            {"params": g.mapping.parameters(), "lr": 1e-6}]
        """

    @hookspec
    def ganforge_prepare_batch(self, run: "Run", batch: dict[str, Any]) -> None:
        """Edit the batch in place before the steps see it (pseudo-labels, masks, ...).

        Every implementation is called, most recently registered first; each sees the
        edits of the ones before. It runs for training steps and also for sample grids,
        evaluation and ``ganforge sample``; there ``run.training`` is False, and a strategy
        that learns from batches (a replay buffer, a label memory) must leave its state alone.

        :param run: the run.
        :param batch: ``{"image": (B,C,H,W), "cond": Condition, ...}`` on the run's device.

        Example::

            @ganforge.hookimpl
            def ganforge_prepare_batch(self, run, batch):
                batch["cond"] = batch["cond"].replace(class_label=self.pseudo_labels(batch))
        """

    @hookspec(firstresult=True)
    def ganforge_discriminator_step(self, run: "Run", batch: dict[str, Any]) -> "StepResult | None":
        """Compute the discriminator's loss for one batch; the trainer back-propagates it.

        Stops at the first non-None result: the recipe implements it; strategies wrap it
        with ``@hookimpl(wrapper=True)`` (``result = yield``) to act before and after, and
        must return a result. A chain that returns None is an error naming the strategies,
        unless the recipe lists the player in ``Strategy.may_skip``.

        :param run: the run.
        :param batch: the prepared batch.
        :returns: a `StepResult`.

        Example::

            @ganforge.hookimpl
            def ganforge_discriminator_step(self, run, batch):
                fake = run.models["generator"](batch["cond"]).detach()
                ...
                return StepResult(loss=d_loss, logs={"d_real": d_real})
        """

    @hookspec(firstresult=True)
    def ganforge_generator_step(self, run: "Run", batch: dict[str, Any]) -> "StepResult | None":
        """Compute the generator's (and its encoders') loss for one batch.

        Same contract as `ganforge_discriminator_step`.

        :param run: the run.
        :param batch: the prepared batch.
        :returns: a `StepResult`.

        Example::

            @ganforge.hookimpl
            def ganforge_generator_step(self, run, batch):
                fake = run.models["generator"](batch["cond"])
                return StepResult(loss=self.gan_loss(run.models["discriminator"](fake, batch["cond"]).scores, True, False))
        """

    @hookspec(firstresult=True)
    def ganforge_sample(self, run: "Run", batch: dict[str, Any]) -> "dict[str, torch.Tensor] | torch.Tensor | None":
        """Images to show for this batch in sample grids and the report.

        Stops at the first non-None result.

        :param run: the run (use ``run.generator_for_sampling()`` to get the EMA copy).
        :param batch: a fixed batch of the run's data.
        :returns: named rows in display order, each a batch: (B, C, H, W) images in
            [-1, 1], or label / instance maps as integer ids or one-hot (drawn with the
            fixed palette); the report and ``ganforge sample`` caption rows by name. A
            bare (N, C, H, W) tensor (unnamed rows of the batch size) is accepted too.

        Example::

            @ganforge.hookimpl
            def ganforge_sample(self, run, batch):
                fake = run.generator_for_sampling()(batch["cond"])
                return {"label map": batch["cond"]["label"], "generated": fake, "real": batch["image"]}
        """

    @hookspec
    def ganforge_after_step(self, run: "Run", step: int, logs: dict[str, float]) -> None:
        """Observe the end of a training step (both players updated).

        :param run: the run.
        :param step: the number of completed steps.
        :param logs: the step's logged scalars as floats.

        Example::

            @ganforge.hookimpl
            def ganforge_after_step(self, run, step, logs):
                self.alpha = min(1.0, step / 1000)
        """

    @hookspec
    def ganforge_evaluate(self, run: "Run") -> "dict[str, float] | None":
        """Extra evaluation numbers for the run's periodic evaluation.

        All results are merged into metrics.jsonl.

        :param run: the run.
        :returns: name -> value, or None.

        Example::

            @ganforge.hookimpl
            def ganforge_evaluate(self, run):
                return {"pseudo_label_accuracy": self.accuracy()}
        """


ALL_SPECS = (InstallSpecs, RunSpecs)
