"""The candidate pool: IoU retrieval against a brute-force reference, the query's own map
skipped, and the file written atomically and loaded safely."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge_bachgan.layout import box_layout
from ganforge_bachgan.pool import CandidatePool


def _blocky_labels(n: int, k: int, size: int = 16, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    small = torch.randint(0, k, (n, size // 4, size // 4), generator=gen)
    return small.repeat_interleave(4, 1).repeat_interleave(4, 2)


def _reference_iou(boxes: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """The official loop: for each class the boxes carry, accumulate |S_c & L_c| and |S_c| + |L_c| - |S_c & L_c|."""
    out = torch.zeros(len(boxes), len(labels))
    for b in range(len(boxes)):
        layout = box_layout(boxes[b:b + 1], k, tuple(labels.shape[-2:]))[0]
        for p, seg in enumerate(labels):
            inter = union = 0.0
            for c in range(k):
                if layout[c].sum() == 0:
                    continue
                seg_c = (seg == c).float()
                i = (seg_c * layout[c]).sum()
                inter, union = inter + i, union + layout[c].sum() + seg_c.sum() - i
            out[b, p] = inter / union if union > 0 else 0.0
    return out


BOXES = torch.tensor([[[1, 0.0, 0.0, 0.5, 0.5], [3, 0.25, 0.5, 1.0, 1.0]],
                      [[2, 0.5, 0.0, 1.0, 0.75], [-1, 0, 0, 0, 0]]])


def test_scores_equal_the_official_iou():
    labels = _blocky_labels(12, 4)
    pool = CandidatePool(labels, 4)
    assert torch.allclose(pool.scores(BOXES), _reference_iou(BOXES, labels, 4), atol=1e-6)


def test_retrieve_takes_the_best_candidates_in_order():
    labels = _blocky_labels(12, 4)
    pool = CandidatePool(labels, 4)
    ref = _reference_iou(BOXES, labels, 4)
    index = pool.retrieve(BOXES, 3)
    assert index.shape == (2, 3)
    for b in range(2):
        got = ref[b, index[b]]
        assert torch.all(got[:-1] >= got[1:])  # best first
        assert got[-1] >= ref[b].sort(descending=True).values[2] - 1e-6  # the top 3
    assert torch.equal(pool.maps(index, (8, 8)), labels[index][..., ::2, ::2])


def test_the_query_own_map_is_skipped():
    labels = torch.zeros(3, 8, 8, dtype=torch.long)
    labels[0, :4, :4] = 1  # candidate 0 is exactly the query's map: IoU 1 with its box
    labels[1, :4, :2] = 1
    boxes = torch.tensor([[[1, 0.0, 0.0, 0.5, 0.5]]])
    pool = CandidatePool(labels, 2)
    assert pool.retrieve(boxes, 1).tolist() == [[0]]
    assert pool.retrieve(boxes, 1, queries=labels[:1]).tolist() == [[1]]
    assert pool.retrieve(boxes, 1, queries=labels[:1].flip(-1)).tolist() == [[1]]  # a flipped training sample


def test_boxes_without_objects_score_zero_and_keep_pool_order():
    pool = CandidatePool(_blocky_labels(5, 3), 3)
    empty = torch.tensor([[[-1.0, 0, 0, 0, 0]]])
    assert torch.equal(pool.scores(empty), torch.zeros(1, 5))
    assert pool.retrieve(empty, 3).tolist() == [[0, 1, 2]]


def test_more_retrieved_than_candidates_is_a_config_error():
    with pytest.raises(ganforge.ConfigError, match="num_retrieved = 4 but the pool .* holds only 2"):
        CandidatePool(_blocky_labels(2, 3), 3).retrieve(BOXES, 4)


def test_labels_outside_the_classes_are_rejected():
    with pytest.raises(ganforge.DataError, match=r"label ids in \[0, 3\] outside \[0, 3\)"):
        CandidatePool(_blocky_labels(2, 4), 3, source="test")


def test_save_and_load_round_trip(tmp_path):
    pool = CandidatePool(_blocky_labels(6, 4), 4, source="unit test")
    path = pool.save(tmp_path / "pools" / "pool.pt")
    assert [p.name for p in path.parent.iterdir()] == ["pool.pt"]  # no temporary file left behind
    loaded = CandidatePool.load(path)
    assert torch.equal(loaded.labels, pool.labels) and torch.equal(loaded.digests, pool.digests)
    assert loaded.labels.dtype == torch.uint8 and loaded.num_labels == 4 and "unit test" in loaded.source
    assert torch.equal(loaded.retrieve(BOXES, 2), pool.retrieve(BOXES, 2))


def test_load_errors_name_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(ganforge.DataError, match="nope.pt does not exist; build it with `ganforge bachgan build-pool"):
        CandidatePool.load(missing)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(ganforge.DataError, match="foreign.pt: not a BachGAN pool"):
        CandidatePool.load(foreign)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(ganforge.DataError, match="garbage.pt: unreadable"):
        CandidatePool.load(garbage)


def test_a_tampered_index_is_detected(tmp_path):
    path = CandidatePool(_blocky_labels(4, 3), 3).save(tmp_path / "pool.pt")
    state = torch.load(path, weights_only=True)
    state["class_pixels"][0, 0] += 1
    torch.save(state, path)
    with pytest.raises(ganforge.DataError, match="'class_pixels' does not match 'labels'"):
        CandidatePool.load(path)
