"""Per-application settings (``configs/*.yaml``): the schedule, Eq. 1's lambdas and the VGG
input of each application, one section per ``ganforge image2stylegan-pp`` command.

The defaults are the paper's settings for a 1024 px FFHQ generator (``configs/ffhq.yaml``
spells them out with their sources); ``configs/synthetic.yaml`` holds the shortened ones for
the 32 px synthetic-world StyleGAN2. A config is read with ``yaml.safe_load`` and every key
is checked: a typo is a `ConfigError` naming the file and the dotted field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import ConfigDict, Field, ValidationError

import ganforge
from ganforge.config import read_yaml, validation_message

from .embed import Schedule
from .losses import PAPER_LAYERS, VGG_SIDE


class VGGInput(ganforge.Params):
    """What the perceptual and style losses see."""

    weights: str = Field("hub", description="VGG-16 ImageNet weights: 'hub' (torch hub cache), a path, or 'none'")
    layers: tuple[str, ...] = Field(PAPER_LAYERS, description="VGG-16 layers of the perceptual loss")
    max_side: int | None = Field(VGG_SIDE, ge=16, description="images larger than this are downsampled to it "
                                                               "before VGG (Image2StyleGAN: 1024 -> 256); null: never")


class Application(ganforge.Params):
    """The settings every application has: the schedule and the lambdas of the terms towards x."""

    schedule: Schedule = Field(default_factory=Schedule, description="W+ then noise optimisation")
    mse: float = Field(1.0, ge=0, description="lambda_mse of the (masked) pixel MSE towards x")
    perceptual: float = Field(1.0, ge=0, description="lambda_p of the (masked) perceptual loss towards x")
    noise_perceptual: bool = Field(False, description="whether the perceptual term also drives the noise stage")
    vgg: VGGInput = Field(default_factory=VGGInput, description="the VGG-16 the losses run")
    seed: int = Field(0, description="seed of the initial noise maps")


class Crossover(Application):
    """x inside the blurred mask, y outside."""

    mse_y: float = Field(1.0, ge=0, description="lambda_mse of the pixel MSE towards y (outside the mask)")
    perceptual_y: float = Field(1.0, ge=0, description="lambda_p of the perceptual loss towards y (outside the mask)")
    blur: float = Field(64.0, ge=0, description="sigma in pixels of the Gaussian that makes M_blur")


class StyleTransfer(Application):
    """Content of x outside the mask, Gram statistics of y inside."""

    style: float = Field(1e6, ge=0, description="lambda_s of the masked Gram (style) loss towards y")
    style_layer: str = Field("conv3_3", description="VGG-16 layer whose Gram matrix is matched")


class FeatureTransfer(Application):
    """Activation-tensor copy of y's masked region into x."""

    layers: tuple[str, ...] | None = Field(None, description="activation names to copy "
                                                             "(null: the first half of activation_names())")


class Settings(ganforge.Params):
    """One section per command; the YAML keys are the command names."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    reconstruct: Application = Field(default_factory=Application)
    crossover: Crossover = Field(default_factory=Crossover)
    inpaint: Application = Field(default_factory=Application)
    local_edit: Application = Field(default_factory=Application, alias="local-edit")
    style_transfer: StyleTransfer = Field(default_factory=StyleTransfer, alias="style-transfer")
    feature_transfer: FeatureTransfer = Field(default_factory=FeatureTransfer, alias="feature-transfer")

    def section(self, command: str) -> Application:
        """The settings of ``command`` (a CLI command name such as ``local-edit``)."""
        for name, field in type(self).model_fields.items():
            if command in (name, field.alias):
                return getattr(self, name)
        raise ganforge.ConfigError(f"image2stylegan_pp: no settings section for command {command!r}")


def _invalid(exc: ValidationError, source: str) -> ganforge.ConfigError:
    return ganforge.ConfigError(validation_message(exc, source, "image2stylegan_pp settings"))


def settings_schema() -> dict[str, Any]:
    """The JSON Schema of a settings file (``configs/settings.schema.json``, which the shipped
    files name in their ``# yaml-language-server: $schema=`` line for editors)."""
    from ganforge.schema import model_schema

    return model_schema(Settings, "Image2StyleGAN++ settings")


def settings_from_dict(tree: Mapping[str, Any], source: str = "<settings>") -> Settings:
    try:
        return Settings.model_validate(dict(tree))
    except ValidationError as exc:
        raise _invalid(exc, source) from None


def load_settings(path: str | os.PathLike) -> Settings:
    """The settings in a YAML file (safe loader); errors name the file and the field."""
    return settings_from_dict(read_yaml(path), str(Path(path)))


def override(section: Application, values: Mapping[str, Any], source: str = "command line") -> Application:
    """``section`` with dotted ``values`` (``schedule.w_steps`` -> 100) set and validated again."""
    tree = section.model_dump()
    for dotted, value in values.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    try:
        return type(section).model_validate(tree)
    except ValidationError as exc:
        raise _invalid(exc, source) from None
