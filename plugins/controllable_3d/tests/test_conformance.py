import pytest

from ganforge.testing import check_component

from .conftest import TINY


@pytest.mark.parametrize("kind,name,params,width", [
    ("generator", "controllable_3d", {k: v for k, v in TINY.items() if k != "type"}, 16),  # z width
    ("normalizer", "controllable_3d_adain", {"style_dim": 8}, 8),                          # style width
    ("discriminator", "sngan_resnet", {"width": 8}, 8),
    ("strategy", "controllable_3d", None, 8),
])
def test_component_conforms(c3d, kind, name, params, width):
    check_component(kind, name, params, dims={"D": width})
