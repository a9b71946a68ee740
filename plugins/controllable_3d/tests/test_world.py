"""The 3D world: seeded scenes, the model's camera, exact object masks for control fidelity."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from ganforge.config import load_config
from ganforge.testing import check_component, short_run
from ganforge_controllable_3d.camera import project
from ganforge_controllable_3d.render import pixel_grid
from ganforge_controllable_3d.world import (AMBIENT, LIGHT, Camera, Controllable3DWorld, WorldParams, WorldScene,
                                            camera_rays, mask_centroids, object_masks, render)

from .conftest import TINY

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def world(**kw) -> Controllable3DWorld:
    return Controllable3DWorld(WorldParams(**{"resolution": 16, "length": 64, **kw}))


def one_sphere(position, radius=0.2, resolution=32) -> WorldScene:
    """One sphere in slot 0 and an empty slot 1 (padding must not matter)."""
    return WorldScene(torch.tensor([[position, [0.0, 0.0, 0.0]]]), torch.tensor([[radius, 0.3]]),
                      torch.tensor([[False, False]]), torch.tensor([[[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]]),
                      torch.tensor([[True, False]]), torch.tensor([[0.5, 0.5, 0.5]]), torch.tensor([[0.9, 0.9, 0.9]]))


VIEWS = [(u, v) for u in (0.05, 0.4, 0.75) for v in (0.15, 0.26, 0.371)]


def test_scenes_are_a_pure_function_of_seed_and_index():
    a, b = world(shapes=("sphere", "cube"), background_fraction=0.3), world(shapes=("sphere", "cube"),
                                                                         background_fraction=0.3)
    for key, value in a[5].items():
        assert torch.equal(value, b[5][key]), key
    batch = torch.utils.data.default_collate([a[7], a[3]])
    assert all(torch.allclose(a.batch([7, 3])[k], v, atol=1e-6) for k, v in batch.items())  # batched = one by one
    scene, cam = a.ground_truth(batch)  # what a loader's batch holds renders the same images again
    assert torch.allclose(render(scene, cam, a.params.supersample), batch["image"], atol=1e-6)
    assert not torch.equal(a[5]["image"], world(seed=1, shapes=("sphere", "cube"))[5]["image"])


def test_samples_hold_an_image_and_consistent_ground_truth():
    w = world(max_objects=3, background_fraction=0.25, length=200)
    batch = w.batch(range(200))
    assert batch["image"].shape == (200, 3, 16, 16) and -1 <= batch["image"].min() and batch["image"].max() <= 1
    n = batch["object_present"].sum(1)
    assert torch.equal(batch["domain"], (n == 0).long())
    assert 0.15 < (n == 0).float().mean() < 0.35 and set(n.tolist()) == {0, 1, 2, 3}
    pos, size, present = batch["object_position"], batch["object_size"], batch["object_present"]
    assert torch.allclose(pos[..., 1][present], size[present])  # resting on the floor
    assert pos[..., [0, 2]][present].abs().max() <= 0.8 and (size[present] >= 0.2).all()
    for b in range(200):  # distinct colours, objects apart
        k = int(n[b])
        assert len({tuple(c) for c in batch["object_colour"][b, :k].tolist()}) == k
        gap = torch.cdist(pos[b, :k, [0, 2]], pos[b, :k, [0, 2]]) - size[b, :k, None] - size[b, None, :k]
        assert (gap + 10 * torch.eye(k) > 0).all()
    assert (batch["object_size"][~present] == 0).all()
    info = w.info()
    assert info.fields == {"domain"} and info.num_domains == 2 and info.resolution == (16, 16)
    assert world().info().num_domains == 1 and (world().batch(range(20))["domain"] == 0).all()


def test_world_conforms_and_its_config_checks(c3d):
    check_component("dataset", "controllable_3d_world", {"resolution": 16, "length": 4})
    exp = load_config(CONFIGS / "world.yaml")
    assert (exp.data.params["resolution"], exp.data.params["background_fraction"]) == (64, 0.5)
    assert exp.models["discriminator"].params["num_labels"] == 2
    assert exp.models["generator"].params["background"] == "learned"


def test_the_recipe_trains_on_the_world_with_pure_backgrounds(c3d, tmp_path):
    cfg = yaml.safe_load((CONFIGS / "world.yaml").read_text())
    cfg["data"].update(resolution=16, length=16, supersample=1)
    cfg["models"]["generator"] = {**TINY, "background": "learned"}
    cfg["models"]["discriminator"]["width"] = 8
    cfg["train"].update(batch_size=4, num_workers=0)
    cfg.pop("eval")
    logs = short_run(cfg, tmp_path, 2)
    assert {"d_real", "d_fake", "g_adv", "r1"} <= set(logs[-1]) and all(math.isfinite(v) for v in logs[-1].values())


def test_camera_rays_invert_the_models_projection():
    u, v = torch.tensor([0.1, 0.6]), torch.tensor([0.15, 0.371])
    cam = Camera(u, v, resolution=8)
    origin, d = camera_rays(cam, 8)
    R, t = cam.pose()
    xy, depth = project(origin + 1.7 * d, R, t, cam.focal)
    assert torch.allclose(xy, pixel_grid(8, xy.device, xy.dtype).expand_as(xy), atol=1e-5)
    assert torch.allclose(origin[:, 0].norm(dim=-1), torch.full((2,), 2.0))


@pytest.mark.parametrize("u,v", VIEWS)
def test_an_unoccluded_sphere_projects_to_its_mask_centroid(u, v):
    scene = one_sphere([0.15, 0.2, -0.1])
    cam = Camera(torch.tensor([u]), torch.tensor([v]), resolution=32)
    masks = object_masks(scene, cam)
    assert masks[0, 1].sum() == 0 and 15 < masks[0, 0].sum() < 200
    error = mask_centroids(masks[:, 0]) - cam.pixels(scene.position[:, 0])
    assert error.abs().max() < 0.5


@pytest.mark.parametrize("supersample", [1, 2])
@pytest.mark.parametrize("delta", [(0.35, 0.0, 0.0), (0.0, 0.0, -0.35), (-0.25, 0.0, 0.25)])
def test_moving_an_object_moves_its_mask_by_the_projected_delta(delta, supersample):
    u, v = torch.tensor(VIEWS).T
    cam = Camera(u, v, resolution=32)
    scene = one_sphere([0.1, 0.2, 0.05])
    scene = WorldScene(*(getattr(scene, f.name).expand(len(u), *getattr(scene, f.name).shape[1:])
                         for f in dataclasses.fields(scene)))
    moved = scene.moved(0, delta)
    assert torch.allclose(moved.position[:, 0] - scene.position[:, 0], torch.tensor(delta))
    assert torch.equal(moved.position[:, 1], scene.position[:, 1])
    measured = (mask_centroids(object_masks(moved, cam, supersample)[:, 0])
                - mask_centroids(object_masks(scene, cam, supersample)[:, 0]))
    expected = cam.pixels(moved.position[:, 0]) - cam.pixels(scene.position[:, 0])
    assert expected.norm(dim=-1).max() > 3  # moves of pixels, in most views
    assert (measured - expected).abs().max() < 0.5


def test_turning_the_camera_equals_turning_the_scene_the_other_way():
    scene, cam = world(resolution=24).scenes(range(6))
    du = 0.1
    a = -2 * math.pi * du  # camera azimuth 2 pi u runs from +x towards +z
    rot = torch.tensor([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])
    turned = dataclasses.replace(scene, position=scene.position @ rot.T)
    same = object_masks(scene, cam.rotated(du)) == object_masks(turned, cam)
    assert same.float().mean() > 0.999  # pixels on an edge may flip by rounding
    assert torch.allclose(cam.rotated(du).u, torch.remainder(cam.u + du, 1))


def test_occlusion_and_removal():
    scene = one_sphere([0.0, 0.2, 0.0])
    front = WorldScene(torch.tensor([[[0.0, 0.2, 0.0], [0.9, 0.3, 0.0]]]), torch.tensor([[0.2, 0.3]]),
                       torch.tensor([[False, False]]), scene.colour, torch.tensor([[True, True]]), scene.floor,
                       scene.sky)
    cam = Camera(torch.tensor([0.0]), torch.tensor([0.371]), resolution=32)  # camera on +x: object 1 in front
    masks = object_masks(front, cam)
    alone = object_masks(front.removed(1), cam)
    assert masks[0, 0].sum() < alone[0, 0].sum() and alone[0, 1].sum() == 0
    assert ((masks[0, 0] > 0) & (masks[0, 1] > 0)).sum() == 0


def test_shading_of_an_empty_scene_is_floor_and_sky():
    scene = one_sphere([0.0, 0.2, 0.0]).removed(0)
    cam = Camera(torch.tensor([0.3]), torch.tensor([0.371]), resolution=16)  # low camera: horizon in view
    img = (render(scene, cam)[0] + 1) / 2
    floor = scene.floor[0] * (AMBIENT + (1 - AMBIENT) * LIGHT[1] / np.linalg.norm(LIGHT))  # lit everywhere
    upward = (camera_rays(cam, 16)[1][0, :, 1] >= 0).reshape(16, 16)
    assert 0 < upward.sum() < 16 * 16
    assert torch.allclose(img[:, upward], scene.sky[0][:, None], atol=1e-6)
    assert torch.allclose(img[:, ~upward], floor[:, None], atol=1e-6)


def test_lit_side_of_a_sphere_is_brighter_and_shadows_fall_on_the_floor():
    scene = one_sphere([0.0, 0.3, 0.0], radius=0.3)
    cam = Camera(torch.tensor([0.0]), torch.tensor([0.2]), resolution=48)
    img = (render(scene, cam)[0] + 1) / 2
    mask = object_masks(scene, cam)[0, 0] > 0
    lit_empty = render(scene.removed(0), cam)[0]
    shadow = ((render(scene, cam)[0] < lit_empty - 1e-3).all(0)) & ~mask
    assert shadow.sum() > 10  # the floor darkens where the sphere blocks the light
    grey = img.mean(0)[mask]
    assert grey.max() > 1.5 * grey.min()


def test_bad_params_are_errors():
    with pytest.raises(ValueError, match="min_objects"):
        WorldParams(min_objects=3, max_objects=2)
    with pytest.raises(ValueError, match="size_range"):
        WorldParams(size_range=(0.4, 0.2))
    with pytest.raises(IndexError, match="outside"):
        world(length=3)[3]
