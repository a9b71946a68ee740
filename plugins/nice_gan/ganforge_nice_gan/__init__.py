"""NICE-GAN (Chen, Huang, Huang, Sun and Fang, "Reusing Discriminators for Encoding:
Towards Unsupervised Image-to-Image Translation", CVPR 2020, arXiv:2003.00273) as a
ganforge plugin.

Modules read top-down like the paper: `layers` (ILN / AdaILN normalization and the
AdaILN residual block), `discriminator` (the encoder E = the discriminator's first layers
with the CAM attention block, then the local and global classifier heads), `generator`
(the decoder G that translates E's embedding), `strategy` (the NICE-GAN objective with
decoupled training) and `reuse` (the discriminator-reuse strategy for other papers'
recipes).
"""

__version__ = "0.1.0"
PAPER = "arXiv:2003.00273"
