"""BachGAN (Li et al., "BachGAN: High-Resolution Image Synthesis from Salient Object
Layout", CVPR 2020, arXiv:2003.11690) as a ganforge plugin.

The input is only a set of foreground boxes with classes. Modules follow the paper:
`layout` (the box layout map and the retrieved candidates with the boxes pasted in),
`pool` (the candidate pool of segmentation maps and the background retrieval module,
Sec. 3.1), `retrieval` (the strategy that retrieves for every batch), `fusion` (the
background fusion module, Sec. 3.2), `norm` and `generator` (the SPADE generator fed with
the fused layout), `discriminator` (SPADE's multi-scale D on the box layout), `convert`
(import of the released checkpoints) and `apps` / `cli` (boxes in, scene out).
"""

__version__ = "0.1.0"
PAPER = "arXiv:2003.11690"
