import math

import torch

from ganforge_controllable_3d.camera import camera_pose, project, unproject
from ganforge_controllable_3d.render import splat


def test_camera_looks_at_the_origin_from_its_radius():
    R, t = camera_pose(torch.tensor([0.3]), torch.tensor([0.2]), radius=2.0)
    xy, depth = project(torch.zeros(1, 1, 3), R, t, focal=1.5)
    assert torch.allclose(xy, torch.zeros(1, 1, 2), atol=1e-6)
    assert torch.allclose(depth, torch.full((1, 1), 2.0), atol=1e-6)
    assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3)[None], atol=1e-6)


def test_unproject_inverts_project():
    R, t = camera_pose(torch.tensor([0.1, 0.7]), torch.tensor([0.3, 0.15]))
    pts = torch.rand(2, 5, 3) - 0.5
    xy, depth = project(pts, R, t, focal=1.5)
    assert torch.allclose(unproject(xy, depth, R, t, 1.5), pts, atol=1e-5)


def test_splat_covers_the_point_and_nearer_points_win():
    xy = torch.tensor([[[0.0, 0.0], [0.0, 0.0]]])
    depth = torch.tensor([[1.0, 2.0]])
    feat = torch.tensor([[[1.0], [-1.0]]])
    f, a, d = splat(xy, depth, feat, size=8, sigma=0.1, tau=0.05)
    w = math.exp(-2 * 0.125 ** 2 / (2 * 0.1 ** 2))             # the centre pixels lie 1/8 off in x and y
    assert torch.allclose(a[0, 0, 3:5, 3:5], torch.full((2, 2), 1 - (1 - w) ** 2))  # soft union of both splats
    assert a[0, 0, 0, 0] < 1e-3                                # empty at the corner
    assert f[0, 0, 3, 3] / a[0, 0, 3, 3] > 0.99                # the near point's feature (+1), not the far one's
    assert abs(d[0, 0, 3, 3] / a[0, 0, 3, 3] - 1.0) < 0.05     # and its depth


def test_splat_is_differentiable_in_point_positions():
    xy = torch.tensor([[[0.2, -0.1]]], requires_grad=True)
    _, a, _ = splat(xy, torch.ones(1, 1), torch.ones(1, 1, 1), size=8, sigma=0.2, tau=0.05)
    # moving the splat right raises the coverage of the right half
    a[0, 0, :, 4:].sum().backward()
    assert xy.grad[0, 0, 0] > 0 and math.isfinite(xy.grad.abs().sum().item())
