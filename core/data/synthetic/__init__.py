"""The built-in synthetic world: a seeded, procedural scene generator with ground truth
for every modality (see `SyntheticWorld` and the class table in `classes`)."""

from .classes import DOMAINS, STUFF, THINGS, WorldClass
from .render import STYLE_PARAMS
from .scene import Scene
from .world import MODALITIES, SyntheticParams, SyntheticWorld

__all__ = ["SyntheticWorld", "SyntheticParams", "Scene", "WorldClass", "DOMAINS", "STUFF", "THINGS", "MODALITIES",
           "STYLE_PARAMS"]
