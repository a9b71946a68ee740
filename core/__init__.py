"""ganforge: image-synthesis papers as pluggy plugins whose components mix across papers.

The public API a plugin author needs is importable from here.
"""

from .condition import Condition, FieldSpec, instance_edges
from .errors import (AmbiguousComponent, ComponentNotFound, ConditionMismatch, ConfigError, DataError,
                     GanforgeError, PluginError, StrategyError)
from .hookspecs import hookimpl, hookspec
from .interfaces import (KINDS, AdversarialLoss, Component, ComponentSpec, DataInfo, Dataset, Discriminator,
                         DiscriminatorOutput, Encoder, Generator, Loss, Metric, Normalizer, NoParams,
                         PairedLoss, Params, StepResult, Strategy, Upsampler, slot)
from .version import API_VERSION, __version__
from .registry import build, get_registry, load, resolve  # noqa: E402  (needs the names above)

__all__ = [
    "Condition", "FieldSpec", "instance_edges", "AmbiguousComponent", "ComponentNotFound", "ConditionMismatch",
    "ConfigError", "DataError", "GanforgeError", "PluginError", "StrategyError", "hookimpl", "hookspec", "KINDS",
    "AdversarialLoss", "Component", "ComponentSpec", "DataInfo", "Dataset", "Discriminator",
    "DiscriminatorOutput", "Encoder", "Generator", "Loss", "Metric", "Normalizer", "NoParams", "PairedLoss",
    "Params", "StepResult", "Strategy", "Upsampler", "slot", "API_VERSION", "__version__", "build", "get_registry",
    "load", "resolve",
]
