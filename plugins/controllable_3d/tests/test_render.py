import math

import torch

from ganforge_controllable_3d.camera import camera_pose, project, unproject
from ganforge_controllable_3d.render import cuboids, splat


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
    f, a = splat(xy, depth, feat, size=8, sigma=0.1, tau=0.05)
    w = math.exp(-2 * 0.125 ** 2 / (2 * 0.1 ** 2))             # the centre pixels lie 1/8 off in x and y
    assert torch.allclose(a[0, 0, 3:5, 3:5], torch.full((2, 2), 1 - (1 - w) ** 2))  # soft union of both splats
    assert a[0, 0, 0, 0] < 1e-3                                # empty at the corner
    assert f[0, 0, 3, 3] / a[0, 0, 3, 3] > 0.99                # the near point's feature (+1), not the far one's


def test_splat_is_differentiable_in_point_positions():
    xy = torch.tensor([[[0.2, -0.1]]], requires_grad=True)
    _, a = splat(xy, torch.ones(1, 1), torch.ones(1, 1, 1), size=8, sigma=0.2, tau=0.05)
    # moving the splat right raises the coverage of the right half
    a[0, 0, :, 4:].sum().backward()
    assert xy.grad[0, 0, 0] > 0 and math.isfinite(xy.grad.abs().sum().item())


def test_cuboid_is_a_solid_silhouette_with_its_front_face_depth():
    R, t = torch.eye(3)[None], torch.tensor([[0.0, 0.0, 2.0]])   # a box 2 in front of the camera
    scale = torch.tensor([[0.5, 0.5, 0.5]], requires_grad=True)
    alpha, depth = cuboids(R, t, scale, size=16, focal=2.0, softness=0.02)
    # the box spans x/z in [-0.5/1.5, 0.5/1.5] * focal = [-0.67, 0.67] of the image at its front face
    inside, outside = alpha[0, 0, 4:12, 4:12], alpha[0, 0, :2, :2]
    assert inside.min() > 0.99 and outside.max() < 1e-3
    assert torch.allclose(depth[0, 0, 4:12, 4:12], torch.full((8, 8), 1.5), atol=1e-5)   # front face at z = 1.5
    alpha[0, 0].sum().backward()                                                         # a bigger box covers more
    assert (scale.grad > 0).all()
