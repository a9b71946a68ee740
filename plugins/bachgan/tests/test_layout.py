"""The box layout and the candidates with boxes pasted in, checked pixel by pixel."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge_bachgan.layout import box_layout, paste_boxes, thing_mask


def test_box_layout_covers_exactly_the_pixels_of_each_box():
    boxes = torch.tensor([[[1, 0.25, 0.0, 0.5, 0.5], [2, 0.5, 0.5, 1.0, 1.0], [-1, 0, 0, 1, 1]]])
    layout = box_layout(boxes, 3, (4, 4))
    expected_1 = torch.zeros(4, 4)
    expected_1[0:2, 1:2] = 1  # x in [0.25, 0.5) -> column 1; y in [0, 0.5) -> rows 0, 1
    expected_2 = torch.zeros(4, 4)
    expected_2[2:, 2:] = 1
    assert torch.equal(layout[0, 1], expected_1)
    assert torch.equal(layout[0, 2], expected_2)
    assert layout[0, 0].sum() == 0  # the padding row (class -1) draws nothing


def test_overlapping_boxes_of_two_classes_light_both_channels():
    boxes = torch.tensor([[[0, 0.0, 0.0, 1.0, 1.0], [1, 0.0, 0.0, 0.5, 0.5], [1, 0.0, 0.0, 0.5, 1.0]]])
    layout = box_layout(boxes, 2, (2, 2))
    assert torch.equal(layout[0, 0], torch.ones(2, 2))
    assert torch.equal(layout[0, 1], torch.tensor([[1.0, 0.0], [1.0, 0.0]]))  # a union, never 2


def test_box_layout_rejects_classes_outside_the_labels():
    with pytest.raises(ganforge.DataError, match=r"'boxes' classes must lie in \[-1, 3\)"):
        box_layout(torch.tensor([[[3, 0.0, 0.0, 1.0, 1.0]]]), 3, (4, 4))
    with pytest.raises(ganforge.DataError, match=r"must be \(B, N, 5\)"):
        box_layout(torch.zeros(1, 2, 4), 3, (4, 4))


def test_paste_boxes_keeps_the_candidate_background_and_the_query_objects():
    # 3 classes: 0 road (stuff), 1 sky (stuff), 2 car (thing). Candidate: sky on top, road below,
    # with a car of its own at the bottom right; the query has one car box at the top left.
    candidate = torch.tensor([[[[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 2, 2]]]])
    boxes = torch.tensor([[[2, 0.0, 0.0, 0.5, 0.5]]])
    layout = box_layout(boxes, 3, (4, 4))
    pasted = paste_boxes(candidate, layout, thing_mask([2], boxes, 3))[0, 0]
    ids_where_one_hot = pasted.argmax(0)
    assert torch.equal(pasted[2], layout[0, 2])  # cars: exactly the query's box, the candidate's car erased
    assert torch.equal(pasted.sum(0)[3, 2:], torch.zeros(2))  # the erased car leaves no class at all
    assert torch.equal(ids_where_one_hot[:2, 2:], torch.ones(2, 2, dtype=torch.long))  # sky outside the box
    assert torch.equal(ids_where_one_hot[:2, :2], torch.full((2, 2), 2))  # inside the box: only the car
    assert torch.equal(ids_where_one_hot[2, :], torch.zeros(4, dtype=torch.long))  # road stays


def test_thing_mask_defaults_to_the_classes_of_the_boxes():
    boxes = torch.tensor([[[3, 0, 0, 1, 1], [-1, 0, 0, 0, 0]], [[1, 0, 0, 1, 1], [3, 0, 0, 1, 1]]])
    assert thing_mask(None, boxes, 5).tolist() == [False, True, False, True, False]
    assert thing_mask([0, 4], boxes, 5).tolist() == [True, False, False, False, True]


def test_paste_boxes_rejects_ids_outside_the_layout():
    with pytest.raises(ganforge.DataError, match="'retrieved' has ids"):
        paste_boxes(torch.full((1, 1, 2, 2), 5), torch.zeros(1, 3, 2, 2), torch.zeros(3, dtype=torch.bool))
