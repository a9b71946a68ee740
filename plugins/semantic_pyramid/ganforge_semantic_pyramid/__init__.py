"""Semantic Pyramid for Image Generation (Shocher, Gandelsman et al., CVPR 2020) for ganforge.

A generator mirrors a frozen classifier stage by stage; the classifier's feature maps of a
reference image enter the generator through per-level spatial masks, so one model
generates from "only the deepest features" to "all levels", inpaints and composites.
"""

PAPER = "arXiv:2003.06221"
