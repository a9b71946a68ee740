"""SEAN (Zhu, Abdal, Qin, Wonka, "SEAN: Image Synthesis with Semantic Region-Adaptive
Normalization", CVPR 2020, arXiv:1911.12861) as a ganforge plugin.

Modules follow the paper top-down: `encoder` (the style encoder that turns an image and
its label map into a style matrix, one code per class, Sec. 3.1), `norm` (SEAN
normalization: per-region styles broadcast through the label map, blended with SPADE's
mask-only modulation, plus per-layer noise, Sec. 3.2 and Fig. 2), `generator` (SPADE's
residual generator with SEAN blocks, Sec. 3.3) and `apps` (the paper's applications:
per-region style transfer and interpolation, reconstruction). The discriminator, the losses
and the training recipe are SPADE's, reused from ``ganforge_spade`` through the registry.
"""

__version__ = "0.1.0"
PAPER = "arXiv:1911.12861"
