"""Metric state through torch.distributed: sums for statistics, gathers for KID / IS / SWD.

Two gloo ranks in two processes, each holding a different part of the data: the reduced
statistics must equal those of the union, and gathered rows come back in rank order.
"""

import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _rank_main(rank: int, world: int, init_file: str, out_dir: str) -> None:
    from ganforge.metrics.distributed import all_gather_rows
    from ganforge.metrics.frechet import FeatureStatistics

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        x = torch.arange(12 * 3, dtype=torch.float64).view(12, 3).sin()
        mine = x[:5] if rank == 0 else x[5:]  # ranks hold different counts
        stats = FeatureStatistics(3)
        stats.update(mine)
        reduced = stats.all_reduced()
        gathered = all_gather_rows(mine.float())
        torch.save({"n": reduced.n, "sum": reduced.sum, "outer": reduced.sum_outer, "rows": gathered,
                    "local_n": stats.n}, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_statistics_sum_and_features_gather_across_two_ranks(tmp_path):
    # fork: the children inherit this test module (spawn would have to import it by name)
    mp.start_processes(_rank_main, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True,
                       start_method="fork")
    x = torch.arange(12 * 3, dtype=torch.float64).view(12, 3).sin()
    for rank in (0, 1):
        got = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        assert got["n"] == 12 and got["local_n"] == (5 if rank == 0 else 7)
        torch.testing.assert_close(got["sum"], x.sum(0))
        torch.testing.assert_close(got["outer"], x.T @ x)
        torch.testing.assert_close(got["rows"], x.float())
