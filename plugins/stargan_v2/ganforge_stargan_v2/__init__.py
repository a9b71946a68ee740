"""StarGAN v2 (Choi, Uh, Yoo and Ha, "StarGAN v2: Diverse Image Synthesis for Multiple
Domains", CVPR 2020, arXiv:1912.01865) as a ganforge plugin.

Modules follow the paper top-down: `layers` (pre-activation residual blocks, He
initialisation), `adain` (the AdaIN normalizer), `generator` (encoder-decoder with AdaIN
residual blocks and the optional high-pass mask path), `mapping` (mapping network F),
`trunk` / `style_encoder` / `discriminator` (style encoder E and multi-task
discriminator D, which share one down-sampling trunk design), `fan` (the pretrained
face-landmark network whose heatmaps give the CelebA-HQ masks), `strategy` (the full
objective and the latent / reference training steps), `apps` (latent-guided,
reference-guided synthesis and style interpolation), `convert` (import of the released
checkpoints) and `cli` (the applications as ``ganforge stargan-v2`` commands).
"""

__version__ = "0.1.0"
PAPER = "arXiv:1912.01865"
