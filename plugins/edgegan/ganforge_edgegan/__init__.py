"""EdgeGAN / SketchyCOCO (Gao et al., CVPR 2020, arXiv:2003.02683) for ganforge.

Stage 1 (foreground): an image generator G_I and an edge generator G_E share one latent
vector (noise + class one-hot); a joint critic sees (edge | image) side by side, an image
critic and an edge critic each half, an auxiliary classifier the class of the image, and
an edge encoder E maps edges back to the latent. At test time a freehand object sketch
goes through E, so the sketch never has to be seen in training.
Stage 2 (background): pix2pix translates the generated foreground objects pasted on the
background sketch into the scene image.
"""

PAPER = "arXiv:2003.02683"
PIX2PIX = "arXiv:1611.07004"
