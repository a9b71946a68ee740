"""Panoptic-based image synthesis (Dundar, Sapra, Liu, Tao, Catanzaro, "Panoptic-based
Image Synthesis", CVPR 2020, arXiv:2004.10289) as a ganforge plugin.

Modules follow the paper top-down: `segments` (which pixels belong together: the panoptic
map at any resolution), `conv` (the panoptic-aware partial convolution, Sec. 3.1), `upsample`
(the panoptic-aware upsampling, Sec. 3.2), `norm` (SPADE whose convolutions are
panoptic-aware), `generator` (SPADE's generator with both layers, Sec. 3.3) and `metric`
(instance-boundary contrast, our measure of the paper's failure case: touching instances
of one class blended together). There is no official code; the discriminator, losses and
recipe are SPADE's, reused from ``ganforge_spade`` through the registry.
"""

__version__ = "0.1.0"
PAPER = "arXiv:2004.10289"
