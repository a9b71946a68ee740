"""CoCosNet (Zhang, Zhang, Chen, Chen, Wang, Wen, Chen, "Cross-domain Correspondence
Learning for Exemplar-based Image Translation", CVPR 2020, arXiv:2004.05571) as a
ganforge plugin.

Modules follow the paper top-down: `correlation` (the correlation matrix between the two
domains' features, its temperature and softmax, and the warping it drives, Eq. 2-4, with a
chunked computation that never holds the whole matrix), `correspondence` (the
cross-domain correspondence network: domain adaptors into a shared space, the shared
residual blocks and the warping, Sec. 3.1), `norm` (spatially-variant de-normalization
from the warped exemplar, Sec. 3.2), `generator` (the translation network), `discriminator`,
`losses` (Sec. 3.3), `pairing` (who is whose exemplar in a batch), `strategy` (the training
recipe), `convert` (import of the released checkpoints) and `apps` (the applications).
"""

__version__ = "0.1.0"
PAPER = "arXiv:2004.05571"
