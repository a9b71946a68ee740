"""Attentive Normalization (Wang et al., "Attentive Normalization for Conditional Image
Generation", CVPR 2020, arXiv:2004.03828) as a ganforge plugin.

Modules: `norm` (the AN layer and its regularizer), `biggan` (the class-conditional
BigGAN backbone with AN in place of self-attention), `inpainting` (the two-stage inpainting
network of the authors' TensorFlow code with AN, and its WGAN-GP discriminators),
`strategy` (the two training recipes), `apps` / `cli` (sampling, inpainting, layout maps).
"""

__version__ = "0.1.0"
PAPER = "arXiv:2004.03828"
