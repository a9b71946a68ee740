import torch

import ganforge

from ganforge import Condition
from ganforge_controllable_3d.camera import camera_pose
from ganforge_controllable_3d.generator import composite
from ganforge_controllable_3d.generator_3d import Generator3D, rotation_from_6d

from .conftest import TINY


def test_rotation_from_6d_is_orthonormal():
    R = rotation_from_6d(torch.randn(10, 6))
    assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3).expand(10, 3, 3), atol=1e-5)
    assert torch.allclose(torch.linalg.det(R), torch.ones(10), atol=1e-5)


def test_3d_generator_ranges():
    G = Generator3D(16, 3, 8, 3, (16,), (0.1, 0.6))
    s = G(torch.randn(4, 16))
    assert s["R"].shape == (4, 3, 3, 3) and s["shape"].shape == (4, 3, 8, 3) and s["feature"].shape == (4, 3, 8, 3)
    assert s["t"].abs().max() <= 1 and s["scale"].min() >= 0.1 and s["scale"].max() <= 0.6
    assert G.points(s).shape == (4, 3, 8, 3)


def test_composite_front_layer_occludes():
    rgb = torch.stack([torch.full((1, 3, 2, 2), -1.0), torch.full((1, 3, 2, 2), 1.0)], dim=1)
    alpha = torch.ones(1, 2, 1, 2, 2)
    depth = torch.stack([torch.full((1, 1, 2, 2), 3.0), torch.full((1, 1, 2, 2), 1.0)], dim=1)
    image, d = composite(rgb, alpha, depth, torch.zeros(1, 3, 2, 2), far=4.0)
    assert torch.equal(image, torch.ones(1, 3, 2, 2)) and torch.equal(d, torch.ones(1, 1, 2, 2))


def test_generator_image_and_removed_primitive(tiny_generator):
    G = tiny_generator
    z = torch.randn(2, 16)
    img = G(Condition(z=z))
    assert img.shape == (2, 3, 16, 16) and img.abs().max() <= 1
    scene = G.scene(z)
    R, t = camera_pose(torch.tensor([0.0, 0.0]), torch.tensor([0.25, 0.25]))
    full = G.render(scene, R, t)
    gone = G.render({**scene, "visible": torch.zeros(2, 2)}, R, t)
    assert full["layers"]["alpha"].amax() > 0.3 and not torch.allclose(full["image"], full["background"])
    assert torch.allclose(gone["image"], gone["background"])  # only the background is left
    assert torch.allclose(gone["depth"], torch.full_like(gone["depth"], G.params.far))


def test_background_turns_with_the_camera_and_white_is_white(c3d, data, tiny_generator):
    scene = tiny_generator.scene(torch.randn(1, 16))
    views = [tiny_generator.render(scene, *camera_pose(torch.tensor([u]), torch.tensor([0.25])))["background"]
             for u in (0.0, 0.0, 0.3)]
    assert torch.equal(views[0], views[1]) and not torch.allclose(views[0], views[2], atol=1e-3)
    white = ganforge.build("generator", {**TINY, "background": "white"}, data).eval()
    out = white.render(white.scene(torch.randn(1, 16)), *camera_pose(torch.tensor([0.0]), torch.tensor([0.25])))
    assert torch.equal(out["background"], torch.ones(1, 3, 16, 16))
    assert white.style_mlp[-1].out_features == 2 * 8  # a style code per object, none for a background


def test_drop_random_objects_hides_zero_to_n_minus_one(tiny_generator):
    scene = {"visible": torch.ones(4000, 3)}
    hidden = 3 - tiny_generator.drop_random_objects(scene)["visible"].sum(1)
    counts = torch.bincount(hidden.long(), minlength=4)
    assert counts[3] == 0 and (counts[:3] > 1200).all()   # uniform over 0, 1, 2 hidden (official)
    per_object = 1 - tiny_generator.drop_random_objects(scene)["visible"].mean(0)
    assert torch.allclose(per_object, torch.full((3,), 1 / 3), atol=0.04)  # any object may go
