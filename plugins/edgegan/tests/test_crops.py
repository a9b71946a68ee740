"""Object crops: the main object, on white, with its outline."""

import pytest
import torch

import ganforge
from ganforge_edgegan.crops import main_objects, object_triplets


def scene():
    """16 x 16: object 1 a 4 x 8 bar (rows 6-9, cols 4-11), object 2 a 2 x 2 square."""
    instance = torch.zeros(1, 16, 16, dtype=torch.long)
    instance[0, 6:10, 4:12] = 1
    instance[0, 0:2, 0:2] = 2
    image = torch.full((1, 3, 16, 16), -0.5)
    image[:, :, 6:10, 4:12] = torch.tensor([0.2, -0.2, 0.6])[:, None, None]
    boxes = torch.tensor([[[4, 4 / 16, 6 / 16, 12 / 16, 10 / 16], [5, 0, 0, 2 / 16, 2 / 16]]])
    return image, instance, boxes


def test_the_largest_object_is_cut_out_on_white():
    image, instance, boxes = scene()
    obj, outline = object_triplets(image, instance, boxes, 8)
    assert obj.shape == (1, 3, 8, 8) and outline.shape == (1, 1, 8, 8)
    # an 8 x 8 square around the 4 x 8 bar: rows 2-5 hold the object (bilinear samples blend
    # its border pixels with their neighbours), the rest is white
    assert torch.allclose(obj[0, :, 3:5, 1:7], torch.tensor([0.2, -0.2, 0.6])[:, None, None].expand(3, 2, 6))
    assert torch.all(obj[0, :, :2] == 1) and torch.all(obj[0, :, 6:] == 1)
    assert torch.all(obj[0, :, 2:6] < 1)
    # the outline is the bar's boundary: its top and bottom rows, nothing outside it
    assert torch.all(outline[0, 0, 2] == 1) and torch.all(outline[0, 0, 5] == 1)
    assert outline[0, 0, :2].sum() == 0 and outline[0, 0, 6:].sum() == 0 and outline[0, 0, 3:5, 2:6].sum() == 0


def test_main_object_needs_an_object():
    image, instance, boxes = scene()
    assert main_objects(instance).tolist() == [1]
    with pytest.raises(ganforge.ConditionMismatch, match="has no object"):
        main_objects(torch.zeros(2, 4, 4, dtype=torch.long))
