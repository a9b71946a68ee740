"""mIoU and pixel accuracy from one confusion matrix over the evaluation set."""

import pytest
import torch
from torch import nn

from ganforge import Condition, ConfigError, DataInfo
from ganforge.metrics import SegmentationScore, confusion_matrix


class Threshold(nn.Module):
    """A 'segmenter' predicting class 1 where the red channel is positive, else class 0."""

    def forward(self, x):
        return torch.cat([-x[:, :1], x[:, :1]], 1)


def metric(**kw):
    return SegmentationScore(SegmentationScore.Params(**kw), DataInfo(label_nc=3), segmenter=Threshold())


def test_scores_by_hand():
    label = torch.tensor([[[0, 0, 1, 1], [0, 2, 1, 1]]])  # 1 x 2 x 4
    image = torch.full((1, 3, 2, 4), -1.0)
    image[0, 0, :, 1:3] = 1.0  # predicts [[0 1 1 0], [0 1 1 0]]
    m = metric()
    m.update(image, cond=Condition(label=label))
    c = confusion_matrix(torch.tensor([[0, 1, 1, 0], [0, 1, 1, 0]]), label[0], 3)
    assert c.tolist() == [[2, 1, 0], [2, 2, 0], [0, 1, 0]]
    iou = [2 / (3 + 4 - 2), 2 / (4 + 4 - 2), 0 / (1 + 0 - 0)]  # tp / (labelled + predicted - tp)
    got = m.compute()
    assert got["miou"] == pytest.approx(sum(iou) / 3)
    assert got["pixel_accuracy"] == pytest.approx(4 / 8)


def test_ignored_label_and_absent_classes_do_not_count():
    label = torch.tensor([[[1, 1, 255, 255]]])
    image = torch.ones(1, 3, 1, 4)  # predicts class 1 everywhere
    m = metric(ignore_index=255)
    m.update(image, cond=Condition(label=label))
    assert m.compute() == {"miou": 1.0, "pixel_accuracy": 1.0}


def test_logits_are_resized_to_the_label_and_batches_accumulate():
    m = metric()
    label = torch.ones(2, 8, 8, dtype=torch.long)
    m.update(torch.ones(2, 3, 4, 4), cond=Condition(label=label))
    m.update(-torch.ones(2, 3, 4, 4), cond=Condition(label=label))
    assert m.confusion.sum() == 256 and m.compute()["pixel_accuracy"] == pytest.approx(0.5)


def test_errors_name_what_is_missing():
    with pytest.raises(ConfigError, match="needs a segmenter"):
        SegmentationScore(SegmentationScore.Params(), DataInfo(label_nc=3))
    with pytest.raises(ConfigError, match="cannot import segmenter 'nowhere:net'"):
        SegmentationScore(SegmentationScore.Params(segmenter="nowhere:net"), DataInfo(label_nc=3))
    with pytest.raises(ValueError, match="pass cond with 'label'"):
        metric().update(torch.zeros(1, 3, 4, 4))
    seg = SegmentationScore(SegmentationScore.Params(segmenter="torch.nn:Identity"), DataInfo(label_nc=3))
    assert isinstance(seg.segmenter, nn.Identity)
