import pytest
import torch

import ganforge
from ganforge_controllable_3d import apps


def test_move_shifts_the_rendered_object_by_its_projection(tiny_generator):
    G = tiny_generator
    scene = apps.scene_of_seeds(G, [0, 1, 2])
    scene["t"] = scene["t"] * 0.2  # keep the primitive inside the frame
    scene["scale"] = torch.full_like(scene["scale"], 0.15)
    cam = apps.cameras(0.0, 0.25, 0.0, 1, G.params.cam_radius)[0]
    measured, expected = apps.move_fidelity(G, scene, 0, (0.3, 0.0, 0.0), cam)
    assert expected.abs().max() > 1.0                       # at least one pixel of motion
    assert torch.allclose(measured, expected, atol=0.6)     # within a fraction of a pixel


def test_camera_shifts_the_object_by_its_projection(tiny_generator):
    G = tiny_generator
    scene = apps.scene_of_seeds(G, [3, 4])
    scene["t"] = torch.tensor([0.4, 0.0, 0.0]).expand_as(scene["t"])   # off the axis the camera orbits
    scene["scale"] = torch.full_like(scene["scale"], 0.15)              # small enough to stay in the frame
    cam0, cam1 = apps.cameras(0.0, 0.25, 0.15, 2, G.params.cam_radius)
    measured, expected = apps.camera_fidelity(G, scene, 1, cam0, cam1)
    assert expected.abs().max() > 1.0
    assert torch.allclose(measured, expected, atol=0.6)


def test_controls_build_sequences(tiny_generator):
    G = tiny_generator
    scene = apps.scene_of_seeds(G, [0, 1])
    rotated = apps.rotate(scene, 1, 90.0, 3)
    assert torch.equal(rotated[0]["R"], scene["R"]) and not torch.allclose(rotated[-1]["R"][:, 1], scene["R"][:, 1])
    assert torch.equal(rotated[-1]["R"][:, 0], scene["R"][:, 0])  # only the chosen object turns
    faded = apps.visibility(scene, 0, 1.0, 0.0, 3)
    assert faded[-1]["visible"][:, 0].eq(0).all() and faded[-1]["visible"][:, 1].eq(1).all()
    donor = apps.scene_of_seeds(G, [5, 5])
    mixed = apps.transplant(scene, donor, 1)
    assert torch.equal(mixed["feature"][:, 1], donor["feature"][:, 1]) and torch.equal(mixed["t"], scene["t"])
    cams = apps.cameras(0.0, 0.25, 0.25, 4, 2.0)
    images = apps.render_sequence(G, [scene] * 4, cams)
    assert images.shape == (8, 3, 16, 16)
    assert not torch.allclose(images[0], images[3])  # the view changed


def test_bad_object_index_names_the_option(tiny_generator):
    scene = apps.scene_of_seeds(tiny_generator, [0])
    with pytest.raises(ganforge.ConfigError, match="--object 5"):
        apps.move(scene, 5, (0.1, 0, 0), 2)


def test_measure_controls_scores_visible_objects(tiny_generator):
    G = tiny_generator
    scene = apps.scene_of_seeds(G, list(range(6)))
    out = apps.measure_controls(G, list(range(6)), step=0.3, turn=0.1, min_pixels=1.0)  # tiny objects at 16 px
    assert out["objects_total"] == 12 and 0 < out["objects_scored"] <= 12
    assert out["move_expected_px"] > 1.0 and out["camera_expected_px"] > 0.1
    assert 0 <= out["move_error_px"] < out["move_expected_px"] and out["consistency_3d_30deg"] > 0
    assert set(scene) == {"R", "t", "scale", "shape", "feature", "visible", "style"}
