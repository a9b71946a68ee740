"""SPADE (Park et al., "Semantic Image Synthesis with Spatially-Adaptive Normalization",
CVPR 2019, arXiv:1903.07291) as a ganforge plugin.

Modules follow the paper top-down: `norm` (the SPADE layer, Sec. 3), `generator` (the
SPADE ResBlks and the generator, Fig. 4), `encoder` (the image encoder of the
multi-modal VAE variant, Sec. 3 and appendix), `discriminator` (pix2pixHD's multi-scale
patch discriminator), `losses` and `vgg` (the objective of pix2pixHD with the hinge loss),
`strategy` (the training recipe) and `convert` (import of the released checkpoints).
"""

__version__ = "0.1.0"
PAPER = "arXiv:1903.07291"
