"""HiDT — Anokhin et al., *High-Resolution Daytime Translation Without Domain Labels*,
CVPR 2020 (arXiv:2003.08791), as a ganforge plugin."""

PAPER = "arXiv:2003.08791"
