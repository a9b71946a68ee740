"""Official checkpoints renamed for our modules, with errors that name every misfit."""

import pytest
import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.weights import rename_checked


def test_rename_checked_maps_names_and_lists_every_misfit():
    model = nn.Linear(3, 2)
    names = {"weight": "fc.w", "bias": "fc.b"}
    theirs = {"fc.w": torch.ones(2, 3), "fc.b": torch.zeros(2)}
    assert rename_checked(model, theirs, names, "g.pth", "width").keys() == {"weight", "bias"}
    bad = {"fc.w": torch.ones(4, 3), "fc.extra": torch.zeros(1)}
    with pytest.raises(ConfigError) as err:
        rename_checked(model, bad, names, "g.pth", "width")
    assert str(err.value) == ("g.pth does not fit this Linear:\n  missing: fc.b\n  unexpected: fc.extra\n"
                              "  fc.w: (4, 3) in the file, (2, 3) here\n  check width")
