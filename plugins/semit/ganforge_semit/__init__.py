"""SEMIT (Wang et al., CVPR 2020, arXiv:2003.13853): semi-supervised learning for
few-shot image-to-image translation, as ganforge components."""

PAPER = "arXiv:2003.13853"
