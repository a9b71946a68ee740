"""The application: scene sketch -> objects -> composite -> image."""

import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge_edgegan.scene import compose, paste


def nets(tiny):
    torch.manual_seed(0)
    fg = DataInfo(fields=frozenset({"z", "class_label", "sketch"}), resolution=(32, 32), num_classes=5)
    bg = DataInfo(fields=frozenset({"scene_sketch"}), resolution=(32, 32))
    return (ganforge.build("generator", tiny["generator"], fg).eval(),
            ganforge.build("encoder", tiny["encoder"], fg).eval(),
            ganforge.build("generator", {"type": "edgegan_background", "ngf": 4, "num_downs": 5}, bg).eval())


def test_paste_writes_only_non_white_pixels_inside_the_canvas():
    canvas, mask = torch.zeros(3, 8, 8), torch.zeros(8, 8, dtype=torch.bool)
    obj = torch.ones(3, 4, 4)
    obj[:, 1:3, 1:3] = -1  # a dark square on white
    paste(canvas, mask, obj, torch.tensor([6.0, 6.0, 10.0, 10.0]))  # half outside the canvas
    assert mask.sum() == 1 and mask[7, 7] and torch.all(canvas[:, 7, 7] == -1)
    assert torch.all(canvas[:, 6, 6] == 0)  # white object pixel: the canvas stays


def test_compose_a_scene(edgegan, tiny):
    generator, encoder, background = nets(tiny)
    sketch, back = torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32)
    sketch[0, 0, 8:20, 8] = sketch[0, 0, 8:20, 16] = 1
    back[0, 0, 26, :] = 1
    boxes = torch.tensor([[2, 0.2, 0.2, 0.55, 0.65], [-1, 0, 0, 0, 0]])
    out = compose(generator, encoder, background, sketch, back, boxes, 32)
    for x in (out.scene_sketch, out.edges, out.composite, out.image):
        assert x.shape == (1, 3, 32, 32)
    assert torch.all(out.composite[0, :, 26, 25:] == -1)  # the background sketch outside the box
    assert torch.all(out.edges[0, :, :5] == 1)  # G_E's edges only inside the box
    assert torch.equal(out.image, background(Condition(scene_sketch=out.composite)))


def test_compose_without_objects_translates_the_background_sketch(edgegan, tiny):
    generator, encoder, background = nets(tiny)
    back = torch.zeros(1, 1, 32, 32)
    back[0, 0, 20, :] = 1
    out = compose(generator, encoder, background, torch.zeros_like(back), back,
                  torch.tensor([[-1.0, 0, 0, 0, 0]]), 32)
    assert torch.equal(out.composite, 1 - 2 * back.expand(1, 3, 32, 32))
