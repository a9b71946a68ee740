import pytest
import torch

from ganforge import Condition, FieldSpec, instance_edges
from ganforge.condition import FieldTable


def test_resize_is_nearest_for_ids_and_bilinear_for_images():
    label = torch.tensor([[[0, 1], [2, 3]]])  # (1,2,2)
    image = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]]).expand(1, 3, 2, 2)
    c = Condition(label=label, exemplar=image, style=torch.ones(1, 4))
    up = c.resized((4, 4))
    assert up["label"].dtype == torch.long
    assert torch.equal(up["label"][0], torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]))
    assert up["exemplar"].shape == (1, 3, 4, 4)
    assert 0.0 < float(up["exemplar"][0, 0, 0, 1]) < 1.0  # blended, not copied
    assert up["style"] is c["style"]  # vectors are not resized


def test_downsampling_keeps_only_existing_ids():
    label = torch.randint(0, 7, (2, 64, 64))
    small = Condition(label=label).resized((17, 23))["label"]
    assert small.shape == (2, 17, 23)
    assert set(small.unique().tolist()) <= set(label.unique().tolist())


def test_unknown_field_is_rejected_with_known_names():
    with pytest.raises(KeyError, match="known fields: .*label"):
        Condition(lable=torch.zeros(1, 2, 2))


def test_missing_field_names_what_is_there():
    with pytest.raises(KeyError, match="it has: label"):
        Condition(label=torch.zeros(1, 2, 2, dtype=torch.long))["exemplar"]


def test_immutable_replace_and_remove():
    c = Condition(label=torch.zeros(1, 2, 2, dtype=torch.long))
    with pytest.raises(AttributeError):
        c.foo = 1
    d = c.replace(z=torch.zeros(1, 3))
    assert set(d) == {"label", "z"} and set(c) == {"label"}
    assert set(d.replace(label=None)) == {"z"}


def test_to_casts_floats_only():
    c = Condition(label=torch.zeros(1, 2, 2, dtype=torch.long), z=torch.zeros(1, 3)).to(dtype=torch.float64)
    assert c["label"].dtype == torch.long and c["z"].dtype == torch.float64


def test_onehot_and_range_check():
    c = Condition(label=torch.tensor([[[0, 2]]]))
    oh = c.onehot(3)
    assert oh.shape == (1, 3, 1, 2) and oh[0, :, 0, 1].tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="label_nc is 2"):
        c.onehot(2)


def test_onehot_is_contiguous_nchw_and_built_once():
    lab = torch.randint(0, 5, (2, 6, 7))
    c = Condition(label=lab)
    oh = c.onehot(5)
    # channels-last one-hot maps send every conv reading them down a slower kernel path
    assert oh.is_contiguous() and not oh.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(oh, torch.nn.functional.one_hot(lab, 5).permute(0, 3, 1, 2).float())
    assert c.onehot(5) is oh  # memoised per Condition: every layer shares one map
    assert c.replace(label=lab.flip(-1)).onehot(5) is not oh


def test_labels_are_checked_once_at_the_data_edge():
    from ganforge import DataInfo
    from ganforge.errors import DataError
    from ganforge.trainer.data import to_run_batch

    info = DataInfo(fields=frozenset({"label"}), label_nc=4, contain_dontcare_label=True, resolution=(2, 2))
    ok = {"image": torch.zeros(1, 3, 2, 2), "label": torch.tensor([[[0, 4], [3, 1]]])}  # 4 = don't care
    assert to_run_batch(ok, info, torch.device("cpu"), False)["cond"]["label"].max() == 4
    with pytest.raises(DataError, match="'label' has ids in \\[0, 5\\] but label_nc is 5"):
        to_run_batch({**ok, "label": torch.tensor([[[0, 5], [3, 1]]])}, info, torch.device("cpu"), False)


def test_instance_edges_mark_both_sides_of_a_boundary():
    inst = torch.tensor([[[1, 1, 2, 2]]])
    assert instance_edges(inst)[0, 0, 0].tolist() == [0, 1, 1, 0]


def test_field_table_extension_and_conflict():
    table = FieldTable().with_fields((FieldSpec("pose", "nearest", "float", "B,18,H,W", "pose heatmaps"),))
    assert "pose" in table
    with pytest.raises(ValueError, match="conflicts"):
        table.with_fields((FieldSpec("label", "none", "float", "B", "wrong"),), {"label": "badplugin"})
