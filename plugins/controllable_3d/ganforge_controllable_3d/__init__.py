"""Liao et al., "Towards Unsupervised Learning of Generative Models for 3D Controllable
Image Synthesis" (CVPR 2020): a 3D generator of primitives, a differentiable renderer in
plain torch, and a 2D generator that turns each rendered primitive into an image layer."""

PAPER = "arXiv:1912.05237"
