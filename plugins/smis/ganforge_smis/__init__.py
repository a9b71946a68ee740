"""SMIS (Zhu, Xu, You, Bai, "Semantically Multi-modal Image Synthesis", CVPR 2020,
arXiv:2003.12697) as a ganforge plugin: GroupDNet.

Modules follow the paper top-down: `codes` (the class-specific latent codes and their
layout), `layers` (group convolutions), `norm` (conditional group normalization, CG-Norm),
`encoder` (the group-convolution encoder of class-wise image crops, Sec. 3.2),
`generator` (the group-decreasing decoder, Fig. 2), `metrics` (mCSD / mOCD, Sec. 4.1),
`apps` (the applications of Sec. 4.4), `cli` (``ganforge smis ...``) and `convert`
(import of the released checkpoints). The discriminator, losses and training recipe are
SPADE's (``ganforge_spade``), as in the official code.
"""

__version__ = "0.1.0"
PAPER = "arXiv:2003.12697"
