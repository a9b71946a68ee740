"""The component contracts every paper plugin implements.

A component is a `torch.nn.Module` with three class attributes that let ganforge build,
check and document it before any tensor exists:

* ``Params`` — a pydantic model of its hyper-parameters, defaults equal to the paper's
  standard configuration. A config names the component and overrides fields.
* ``requires`` — the `Condition` fields it reads (``{"label"}`` for SPADE's norm).
* ``provides`` — the `Condition` fields it produces (an encoder's ``{"style"}``).
* ``feeds`` — the fields it computes itself and hands to its own nested slots only, so
  their ``requires`` are met without the data (3D controllable synthesis' generator makes
  one ``style`` per rendered layer for its AdaIN slot).

Its constructor is always ``__init__(self, params, data, **runtime)``: ``params`` is the
validated ``Params`` instance, ``data`` the `DataInfo` of the run (label_nc, channels,
resolution ...), ``runtime`` the arguments only the enclosing network knows (a normalizer's
``num_features``). Build components with `ganforge.build`, never by hand in configs.

Nested components (a generator's normalizer, a recipe's losses) are declared with
`slot(...)`; that is how a SEAN normalizer gets into a StarGAN v2 generator: the
generator calls ``build("normalizer", self.params.norm, data, num_features=C)`` and the
config decides which normalizer that is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from .condition import Condition

KINDS = ("generator", "discriminator", "normalizer", "upsampler", "encoder", "loss", "strategy", "dataset", "metric")


class Params(BaseModel):
    """Base of every params model: unknown keys are errors, so typos never pass silently,
    and NaN or Inf is refused for every float (``lr: .inf`` would poison the weights)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DataInfo(Params):
    """What a run's data provides; every component is built against it."""

    fields: frozenset[str] = Field(default_factory=lambda: frozenset({"label"}), description="Condition fields in each batch")
    image_channels: int = Field(3, ge=1, description="channels of the target image")
    resolution: tuple[int, int] = Field((256, 256), description="(H, W) of images and maps")
    label_nc: int = Field(0, ge=0, description="number of semantic classes, 0 if none")
    num_domains: int = Field(0, ge=0, description="number of domains, 0 if none")
    num_classes: int = Field(0, ge=0, description="number of object categories, 0 if none")
    contain_dontcare_label: bool = Field(False, description="label map has an extra 'don't care' id (SPADE)")


class ComponentSpec(BaseModel):
    """A reference to a component in a config: ``{type: name, **params}``.

    Params are kept as given and validated against the component's ``Params`` at build
    time, so a config error names the exact path (``generator.norm.hidden``).
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str = Field(description="registered component name, or 'plugin/name'")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"type": value}
        if isinstance(value, BaseModel) and not isinstance(value, ComponentSpec):
            raise TypeError("pass a params model to ganforge.build, not inside a spec")
        return value

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def slot(kind: str, default: str | dict | None, description: str = "", inherit: tuple[str, ...] = ()) -> Any:
    """A params field holding a nested component of ``kind``.

    >>> class Params(ganforge.Params):
    ...     norm: ComponentSpec = slot("normalizer", "spade", "normalization in each block")

    ``default=None`` makes the slot optional (the field then is ``ComponentSpec | None``).
    ``inherit`` names fields of the enclosing params that the nested component takes as its
    own when it has a field of that name the config leaves unset (a generator's normalizer
    inherits its ``style_dim``), so a shared value is written once.
    """
    extra: dict[str, Any] = {"ganforge_kind": kind}
    if inherit:
        extra["ganforge_inherit"] = list(inherit)
    if default is None:
        return Field(None, description=description, json_schema_extra=extra)
    return Field(default_factory=lambda: ComponentSpec.model_validate(default), description=description,
                 json_schema_extra=extra)


def slot_kind(params_model: type[BaseModel], name: str) -> str | None:
    """The component kind of a params field declared with `slot`, else None."""
    extra = params_model.model_fields[name].json_schema_extra
    return extra.get("ganforge_kind") if isinstance(extra, dict) else None


def slot_inherits(params_model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The enclosing fields a `slot` passes down (its ``inherit``)."""
    extra = params_model.model_fields[name].json_schema_extra
    return tuple(extra.get("ganforge_inherit", ())) if isinstance(extra, dict) else ()


class NoParams(Params):
    """For components without hyper-parameters."""


class Component(nn.Module):
    """Base of every component. Subclasses set ``Params``, ``requires`` and ``provides``."""

    kind: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = NoParams
    requires: ClassVar[frozenset[str]] = frozenset()
    provides: ClassVar[frozenset[str]] = frozenset()
    feeds: ClassVar[frozenset[str]] = frozenset()
    #: what it can do beyond its kind's contract, for recipes that need it (names in
    #: `ganforge.conditioning.CAPABILITIES`: ``features``, ``multitask``, ``reuse``, ``content_style``)
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: Params, data: DataInfo):
        super().__init__()
        self.params = params
        self.data = data

    @classmethod
    def capabilities_of(cls, params: Params) -> frozenset[str]:
        """Capabilities given its params (override when they depend on them)."""
        return frozenset(cls.capabilities)

    @classmethod
    def requirements(cls, params: Params, data: DataInfo) -> frozenset[str]:
        """Condition fields this component needs *given* its params (override when they
        depend on them, e.g. SPADE needs ``instance`` only with ``use_instance``)."""
        return frozenset(cls.requires)


class Normalizer(Component):
    """A conditional normalization layer: ``forward(x, cond) -> y`` with ``y.shape == x.shape``.

    Runtime argument: ``num_features`` (channels of ``x``). It reads what it needs from
    ``cond`` at ``x``'s resolution (``cond.resized(x.shape[-2:])``). Examples: SPADE,
    SEAN's region-adaptive norm, Attentive Normalization, AdaIN (reads ``style``).
    """

    kind = "normalizer"

    def __init__(self, params: Params, data: DataInfo, num_features: int):
        super().__init__(params, data)
        self.num_features = num_features

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class Upsampler(Component):
    """A 2x spatial upsampling inside a generator: ``forward(x, cond) -> y`` with
    ``y.shape == (B, C, 2H, 2W)``.

    Runtime argument: ``num_features`` (channels of ``x``). Nearest-neighbour (the core's
    ``nearest``) ignores ``cond``; Panoptic-based synthesis replaces it by an upsampling that
    copies features only within one panoptic instance, so it is a slot like the normalizer.
    """

    kind = "upsampler"

    def __init__(self, params: Params, data: DataInfo, num_features: int):
        super().__init__(params, data)
        self.num_features = num_features

    def forward(self, x: torch.Tensor, cond: Condition) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class Generator(Component):
    """``forward(cond) -> image`` of shape (B, data.image_channels, H, W) in [-1, 1].

    Everything the generator consumes — label map, z, style codes, exemplar — comes in the
    `Condition`; encoders run before it and add their ``provides`` to the condition.
    """

    kind = "generator"

    def forward(self, cond: Condition) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class DiscriminatorOutput:
    """What a discriminator returns.

    :param scores: one score map per scale/head (a single-scale D returns a list of one).
    :param features: per scale, the intermediate activations used by feature matching
        (empty lists when the D has none to offer).
    :param extra: anything else a recipe may need (NICE-GAN's encoding, auxiliary class
        logits, CAM logits), by name.
    """

    scores: list[torch.Tensor]
    features: list[list[torch.Tensor]] = field(default_factory=list)
    extra: dict[str, torch.Tensor] = field(default_factory=dict)


class Discriminator(Component):
    """``forward(image, cond) -> DiscriminatorOutput``; conditional Ds read ``cond``."""

    kind = "discriminator"

    def forward(self, image: torch.Tensor, cond: Condition) -> DiscriminatorOutput:  # pragma: no cover
        raise NotImplementedError


class Encoder(Component):
    """``forward(image, cond) -> dict`` mapping each field of ``provides`` to a tensor.

    Extra keys are allowed for the recipe's losses (a VAE encoder adds ``mu`` and
    ``logvar`` for the KL term). As a conditioner (`ganforge.conditioning`) its provided
    fields join the generator's condition.
    """

    kind = "encoder"

    def forward(self, image: torch.Tensor, cond: Condition) -> dict[str, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError


class Loss(Component):
    """A differentiable objective returning a scalar tensor. Use one of the roles below so
    a recipe can accept any loss of that role from any paper."""

    kind = "loss"


class AdversarialLoss(Loss):
    """``forward(scores, real, for_discriminator) -> scalar`` averaged over scales.

    :param scores: a list of score maps (one per scale) or one tensor.
    :param real: whether the target is "real".
    :param for_discriminator: hinge and similar losses differ between the two players.
    """

    def forward(self, scores: Sequence[torch.Tensor] | torch.Tensor, real: bool,
                for_discriminator: bool) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


class PairedLoss(Loss):
    """``forward(fake, real) -> scalar``: reconstruction, perceptual, contextual losses.
    Both are images in [-1, 1] of the same shape."""

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError


class Strategy(Component):
    """A training recipe (paired conditional, cycle, multi-domain style, few-shot ...).

    A strategy is a pluggy plugin of the *run*: the trainer registers the selected recipe
    and any extra strategies in a run-scoped plugin manager, and the strategy implements
    the run hooks of `ganforge.hookspecs.RunSpecs` as methods decorated with
    ``@ganforge.hookimpl`` (``ganforge_discriminator_step``, ``ganforge_generator_step`` ...).
    Extra strategies (discriminator reuse, pseudo-labelling) wrap or extend the recipe's
    hooks, so they apply to any recipe.

    Class attributes:

    * ``networks`` — role -> kind of the networks this recipe trains, e.g.
      ``{"generator": "generator", "discriminator": "discriminator"}``; optional roles
      are listed in ``optional_networks``.
    * ``optimizers`` — optimiser name -> roles whose parameters it updates by default,
      e.g. ``{"generator": ("generator", "encoder"), "discriminator": ("discriminator",)}``.
    * ``may_skip`` — the players (``"discriminator"``, ``"generator"``) whose step hook may
      return None to skip an update; for any other player None is an error naming the
      strategies (a wrapper that forgot ``return result`` would otherwise stop training it
      silently). ``StepResult(loss=None)`` skips the update explicitly in any recipe.
    * ``conditioners`` — role -> source of the encoders the conditioning path runs before
      the generator (`ganforge.conditioning`), e.g. SPADE's ``{"encoder": "real"}``.
      Build every generator input with ``run.condition`` / ``run.generate``; pass what
      the recipe decides itself (a target style, a reference image) as overrides.
    * ``feeds`` — fields the recipe draws itself and hands its generators (EdgeGAN's z).
    * ``reads`` — role -> fields the recipe takes from that network's output itself
      (StarGAN v2 reads ``style`` from its mapping network); checked before training.
    * ``updates`` — the optimiser updates of one training step, in order: each is
      (phase, name); the trainer calls the phase's step hook once per update with
      ``batch["update"] = name`` and steps that phase's optimisers after it (StarGAN
      v2's official solver: latent then reference, for D then for G).

    ``network_needs(params)`` names the capabilities the recipe needs of its networks.

    Losses are nested components declared in ``Params`` with `slot("loss", ...)`;
    the recipe builds them in ``__init__``.
    """

    kind = "strategy"
    networks: ClassVar[dict[str, str]] = {}
    optional_networks: ClassVar[frozenset[str]] = frozenset()
    optimizers: ClassVar[dict[str, tuple[str, ...]]] = {}
    may_skip: ClassVar[frozenset[str]] = frozenset()
    conditioners: ClassVar[dict[str, str]] = {}
    reads: ClassVar[dict[str, frozenset[str]]] = {}
    updates: ClassVar[tuple[tuple[str, str], ...]] = (("discriminator", ""), ("generator", ""))
    #: why this recipe runs no conditioners, when it drives its generators through methods
    #: of their own (StyleGAN2's ``G.synthesis(ws)``); empty when every generator input
    #: goes through the conditioning path
    builds_own_inputs: ClassVar[str] = ""

    @classmethod
    def network_needs(cls, params: Params) -> dict[str, frozenset[str]]:
        """Role -> capabilities this strategy needs of that network, given its params."""
        return {}


class Metric(Component):
    """An evaluation measure: ``update(fake, real=None, cond=None)`` per batch, then
    ``compute() -> dict[str, float]``; ``reset()`` starts over. Statistics accumulate
    across DDP ranks in ``compute``."""

    kind = "metric"

    def reset(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, fake: torch.Tensor, real: torch.Tensor | None = None,
               cond: Condition | None = None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def compute(self) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError


class Dataset(torch.utils.data.Dataset):
    """A dataset component: ``__getitem__(i) -> dict`` with ``"image"`` (C,H,W) in [-1, 1]
    and any Condition fields (without batch dimension), plus ``info() -> DataInfo``.

    Not an ``nn.Module``; same ``Params`` / constructor conventions as other components
    (``__init__(self, params)``; there is no ``data`` argument since it *is* the data).
    """

    kind: ClassVar[str] = "dataset"
    Params: ClassVar[type[Params]] = NoParams
    requires: ClassVar[frozenset[str]] = frozenset()
    provides: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: Params):
        self.params = params

    @classmethod
    def requirements(cls, params: Params, data: DataInfo) -> frozenset[str]:
        return frozenset()

    def info(self) -> DataInfo:  # pragma: no cover - abstract
        raise NotImplementedError


BASES: dict[str, type] = {
    "generator": Generator,
    "discriminator": Discriminator,
    "normalizer": Normalizer,
    "upsampler": Upsampler,
    "encoder": Encoder,
    "loss": Loss,
    "strategy": Strategy,
    "dataset": Dataset,
    "metric": Metric,
}


@dataclass
class StepResult:
    """What a recipe's discriminator or generator step returns to the trainer.

    :param loss: the scalar the trainer back-propagates (it owns backward, AMP scaling,
        DDP and the optimiser step), or None when this step has nothing to update.
    :param logs: named scalars for the progress bar, metrics.jsonl and TensorBoard.
    :param optimizers: the optimisers to step after this update (a subset of the
        phase's); None steps all of them. StarGAN v2's reference update of G steps only
        the generator's, as the official solver does.
    """

    loss: torch.Tensor | None
    logs: dict[str, torch.Tensor | float] = field(default_factory=dict)
    optimizers: tuple[str, ...] | None = None
