"""The background_retrieval strategy: the pool source, its check against the data, and the
'retrieved' field it adds to every batch."""

from __future__ import annotations

import pytest
import torch

import ganforge
from ganforge import Condition, DataInfo
from ganforge_bachgan.pool import CandidatePool

DATA = DataInfo(fields=frozenset({"label", "boxes"}), resolution=(32, 32), label_nc=9)
WORLD = {"type": "synthetic", "resolution": 16, "fields": ["label"], "seed": 3, "length": 20}


def test_exactly_one_pool_source():
    with pytest.raises(ganforge.ConfigError, match="exactly one of 'pool' .* and 'pool_data'"):
        ganforge.build("strategy", {"type": "background_retrieval"}, DATA)
    with pytest.raises(ganforge.ConfigError, match="exactly one"):
        ganforge.build("strategy", {"type": "background_retrieval", "pool": "p.pt", "pool_data": WORLD}, DATA)


def test_prepare_batch_adds_the_retrieved_maps_at_the_data_resolution():
    strategy = ganforge.build("strategy", {"type": "background_retrieval", "pool_data": WORLD, "pool_size": 10}, DATA)
    boxes = torch.tensor([[[4, 0.1, 0.5, 0.4, 0.9], [-1, 0, 0, 0, 0]], [[8, 0.5, 0.2, 0.9, 0.6], [5, 0, 0, .2, .2]]])
    batch = {"image": torch.zeros(2, 3, 32, 32), "cond": Condition(boxes=boxes)}
    strategy.ganforge_prepare_batch(run=None, batch=batch)
    retrieved = batch["cond"]["retrieved"]
    pool = strategy.pool()
    assert len(pool) == 10 and pool.resolution == (16, 16)
    assert retrieved.shape == (2, 3, 32, 32) and retrieved.dtype == torch.long
    index = pool.retrieve(boxes, 3)
    assert torch.equal(retrieved[..., ::2, ::2], pool.labels[index].long())


def test_a_pool_file_with_other_classes_is_rejected(tmp_path):
    path = CandidatePool(torch.zeros(4, 8, 8, dtype=torch.long), 5, source="five classes").save(tmp_path / "p.pt")
    strategy = ganforge.build("strategy", {"type": "background_retrieval", "pool": str(path)}, DATA)
    with pytest.raises(ganforge.ConfigError, match="has 5 label channels, the run's data 9"):
        strategy.pool()


def test_prepare_batch_adds_the_retrieved_backgrounds():
    strategy = ganforge.build("strategy", {"type": "background_retrieval", "pool_data": WORLD, "pool_size": 5}, DATA)
    batch = {"cond": Condition(boxes=torch.tensor([[[4, 0.1, 0.5, 0.4, 0.9]]]))}
    strategy.ganforge_prepare_batch(run=None, batch=batch)
    assert batch["cond"]["retrieved"].shape == (1, 3, 32, 32)
