"""StyleGAN2 (Karras et al., CVPR 2020, "Analyzing and Improving the Image Quality of
StyleGAN") as a ganforge plugin: the config-f generator (mapping network, modulated and
demodulated convolutions, noise inputs, skip outputs), the residual discriminator with
minibatch standard deviation, and the recipe with lazy R1 / path length regularisation."""

PAPER = "arXiv:1912.04958"
