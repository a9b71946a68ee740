"""Image2StyleGAN++ (Abdal, Qin and Wonka, CVPR 2020, "Image2StyleGAN++: How to Edit the
Embedded Images?"): embedding an image into the W+ space *and* the noise inputs of a
pretrained StyleGAN-like generator (alternately, not jointly), with spatial masks on the
losses for local embeddings, and spatial edits of the synthesis activations. Works on any
generator with the `ganforge.capabilities.StyleLatentGenerator` capability."""

PAPER = "arXiv:1911.11544"
