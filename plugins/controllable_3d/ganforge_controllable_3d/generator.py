"""The full generator: 3D generator -> point renderer -> 2D generator per layer -> depth-ordered
alpha compositing over a background layer (paper Fig. 2, official model.py).

``scene(z)`` gives the editable 3D scene (poses, shapes, appearance, visibility) and
``render(scene, R, t)`` the image from a camera; the controls of ``apps.py`` edit the scene
between the two. ``background: white`` is the official default (``bg_cube: False``, a white
background); ``background: learned`` (their ``bg_cube: True``) adds one more 2D-generator layer
with its own style code whose input is the viewing direction of every pixel, i.e. a
background sphere at infinity turning with the camera.

While training, every sample hides a random 0..n_prim-1 of its objects (official
``get_random_mask``): the discriminator sees scenes with fewer objects, which teaches every
primitive to be one whole object.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from pydantic import Field

import ganforge
from ganforge import ComponentSpec, Condition, DataInfo

from .camera import object_to_camera, sample_cameras
from .generator_2d import Generator2D
from .generator_3d import Generator3D, mlp
from .render import PointRenderer, pixel_grid


class Controllable3DParams(ganforge.Params):
    z_dim: int = Field(128, ge=2, description="latent width; first half pose, second half shape/appearance")
    n_prim: int = Field(3, ge=1, description="foreground primitives (official default 3)")
    n_points: int = Field(32, ge=1, description="points per primitive (official point primitive: 32)")
    n_channel: int = Field(3, ge=1, description="feature channels per point (official: 3)")
    hidden: tuple[int, ...] = Field((128, 256, 512), description="hidden widths of the 3D generator's MLPs")
    size_min: float = Field(0.1, gt=0, description="smallest primitive half-extent")
    size_max: float = Field(0.6, gt=0, description="largest primitive half-extent")
    nfilter: int = Field(128, ge=1, description="2D generator width")
    nfilter_max: int = Field(512, ge=1, description="2D generator maximal width")
    nlayers: int = Field(4, ge=1, description="2D generator residual blocks")
    down_sample: int = Field(1, ge=0, description="stride-2 down/up pairs in the 2D generator")
    style_dim: int = Field(256, ge=1, description="per-layer style code width (official AdaIN MLP width)")
    norm: ComponentSpec = ganforge.slot("normalizer", {"type": "controllable_3d_adain"},
                                        "normalization inside the 2D generator's blocks (reads cond['style'])")
    focal: float = Field(2.0, gt=0, description="focal length in half-image units (official K: img_size px, ~53 deg)")
    sigma: float = Field(0.06, gt=0, description="splat radius in half-image units")
    tau: float = Field(0.05, gt=0, description="depth softness of the splat blending")
    softness: float = Field(0.02, gt=0, description="edge softness of the box silhouettes (world units of chord)")
    cam_radius: float = Field(2.0, gt=0, description="camera distance to the origin (official 2.0)")
    far: float = Field(4.0, gt=0, description="depth of the background (official far plane 4.0)")
    background: Literal["white", "learned"] = Field(
        "white", description="white (official bg_cube False) or a learned layer seen from the camera (bg_cube True)")
    drop_objects: bool = Field(True, description="hide 0..n_prim-1 random objects per sample (official random masks)")


class Controllable3DGenerator(ganforge.Generator):
    """z -> 3D primitives -> rendered layers -> 2D generator -> composited image."""

    Params: ClassVar = Controllable3DParams
    requires: ClassVar = frozenset({"z"})
    feeds: ClassVar = frozenset({"style"})  # one style code per rendered layer, made from z

    def __init__(self, params: Controllable3DParams, data: DataInfo):
        super().__init__(params, data)
        p = params
        if data.image_channels != 3:
            raise ganforge.ConfigError(f"generator controllable_3d: renders RGB, data has {data.image_channels} channels")
        h, w = data.resolution
        if h != w:
            raise ganforge.ConfigError(f"generator controllable_3d: renders square images, data is {h}x{w}")
        self.z_dim = p.z_dim
        self.generator_3d = Generator3D(p.z_dim, p.n_prim, p.n_points, p.n_channel, p.hidden, (p.size_min, p.size_max))
        self.renderer = PointRenderer(h, p.focal, p.sigma, p.tau, p.softness)
        self.n_layers = p.n_prim + (p.background == "learned")
        self.style_mlp = mlp(p.z_dim, (256, 256), self.n_layers * p.style_dim)

        def make_norm(channels: int):
            return ganforge.build("normalizer", p.norm, data, path="generator.norm", check=False, num_features=channels)

        self.generator_2d = Generator2D(p.n_channel, p.nfilter, p.nfilter_max, p.nlayers, p.down_sample, make_norm)

    def scene(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """The editable 3D scene of latents z: the 3D generator's output plus per-layer styles."""
        out = self.generator_3d(z)
        out["style"] = self.style_mlp(z).view(z.shape[0], self.n_layers, self.params.style_dim)
        return out

    def drop_random_objects(self, scene: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The scene with a uniformly drawn 0..N-1 of its N objects hidden, per sample."""
        B, N = scene["visible"].shape
        device = scene["visible"].device
        hidden = torch.randint(0, N, (B, 1), device=device)
        rank = torch.rand(B, N, device=device).argsort(dim=1).argsort(dim=1)   # a random order of the objects
        return {**scene, "visible": scene["visible"] * (rank >= hidden).to(scene["visible"].dtype)}

    def render(self, scene: dict[str, torch.Tensor], R: torch.Tensor, t: torch.Tensor) -> dict[str, torch.Tensor]:
        """Render the scene from camera (R, t): ``image`` (B, 3, S, S) in [-1, 1] and ``depth``;
        the renderer's per-object box silhouettes ``prim_alpha`` (B, N, 1, S, S) for compactness;
        the 2D generator's per-object ``layers`` (rgb, alpha, depth, before hiding objects)
        for 3D consistency; and the ``background`` (B, 3, S, S) alone."""
        B, N = scene["t"].shape[:2]
        p = self.params
        box = (*object_to_camera(scene, R, t), scene["scale"])
        r = self.renderer(Generator3D.points(scene), scene["feature"], box, R, t)
        inputs = r["feature"]                                                 # (B, N, C, S, S), zero off the object
        if p.background == "learned":
            inputs = torch.cat([inputs, self.view_directions(R, inputs.shape[-1])[:, None]], dim=1)
        style = scene["style"].flatten(0, 1)
        out = self.generator_2d(inputs.flatten(0, 1), Condition(style=style)).view(B, self.n_layers, 5, *inputs.shape[-2:])
        rgb = torch.tanh(out[:, :, :3])
        alpha = torch.sigmoid(out[:, :N, 3:4]) * r["alpha"]
        depth = torch.where(r["alpha"] > 1e-3, r["depth"] + 0.1 * torch.tanh(out[:, :N, 4:5]), p.far).clamp(max=p.far)
        background = rgb[:, N] if p.background == "learned" else torch.ones_like(rgb[:, 0])
        shown = alpha * scene["visible"][:, :, None, None, None]
        image, depth_map = composite(rgb[:, :N], shown, depth, background, p.far)
        return {"image": image, "depth": depth_map, "prim_alpha": r["alpha"], "background": background,
                "layers": {"rgb": rgb[:, :N], "alpha": alpha, "depth": depth}}

    def view_directions(self, R: torch.Tensor, size: int) -> torch.Tensor:
        """(B, C, S, S) world-space direction of every pixel's ray, zero-padded to C channels:
        the learned background's input, so it turns with the camera."""
        xy = pixel_grid(size, R.device, R.dtype)
        rays = torch.nn.functional.normalize(torch.cat([xy / self.params.focal, torch.ones_like(xy[:, :1])], 1), dim=1)
        world = (rays @ R).transpose(1, 2).reshape(R.shape[0], 3, size, size)   # R is world -> camera
        C = self.params.n_channel
        return world[:, :C] if C <= 3 else torch.nn.functional.pad(world, (0, 0, 0, 0, 0, C - 3))

    def forward(self, cond: Condition) -> torch.Tensor:
        z = cond["z"] if "z" in cond else torch.randn(cond.batch_size, self.z_dim, device=self.style_mlp[0].weight.device)
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"generator 'controllable_3d' was built for cond['z'] of shape (B, {self.z_dim}), "
                             f"got {tuple(z.shape)}")
        R, t = sample_cameras(z.shape[0], z.device, radius=self.params.cam_radius)
        scene = self.scene(z)
        if self.params.drop_objects:
            scene = self.drop_random_objects(scene)
        return self.render(scene, R.to(z.dtype), t.to(z.dtype))["image"]


def composite(rgb: torch.Tensor, alpha: torch.Tensor, depth: torch.Tensor, bg: torch.Tensor,
              far: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Front-to-back alpha compositing, per pixel in depth order (B, N, C, H, W layers over a
    (B, C, H, W) background at depth ``far``) -> image and expected depth."""
    order = depth.argsort(dim=1)
    take = lambda x: x.gather(1, order.expand(-1, -1, x.shape[2], -1, -1))  # noqa: E731
    rgb, alpha, depth = take(rgb), take(alpha), take(depth)
    transmit = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1 - alpha], dim=1), dim=1)
    weight = alpha * transmit[:, :-1]
    image = (weight * rgb).sum(1) + transmit[:, -1] * bg
    depth_map = (weight * depth).sum(1) + transmit[:, -1] * far
    return image, depth_map
