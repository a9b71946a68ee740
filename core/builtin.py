"""The core's own plugin: datasets, metrics, losses and the DiffAugment strategy that ship with ganforge.

It is discovered through the same entry point group as every other plugin, so the
core follows the rules it sets for plugins.
"""

from __future__ import annotations

from .hookspecs import hookimpl
from .version import API_VERSION

GANFORGE_API = f"{API_VERSION[0]}.{API_VERSION[1]}"


@hookimpl
def ganforge_register(register) -> None:
    """Register the built-in components of each core sub-package."""
    for module in _component_modules():
        module.register_components(register)


def _component_modules():
    from . import augment, data, metrics, upsampling
    from .backbones import components as backbones

    return (data, metrics, upsampling, backbones, augment)
