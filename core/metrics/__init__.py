"""ganforge.metrics: evaluation measures as registered ``metric`` components.

Every convention that changes a number (resize to 299, network weights, 8-bit rounding,
subset draws) is a named params field whose default is the reference library's, so a
reported value says how it was made. See docs/metrics.md.
"""

from __future__ import annotations

from .features import FeatureExtractor, InceptionFeatures, InceptionParams, SyntheticFeatures, shared_features
from .base import SampleSizeWarning
from .fid import FID, FIDParams
from .frechet import FeatureStatistics, GaussianStatistics, covariance_factor, frechet_distance
from .images import CONVENTIONS, inception_input, to_uint8
from .inception import WEIGHTS_FILE as INCEPTION_WEIGHTS, FIDInceptionV3, load_fid_inception
from .inception_score import InceptionScore, ISParams, inception_score
from .kid import KID, KIDParams, kernel_inception_distance
from .perceptual import WEIGHTS_FILES as LPIPS_WEIGHTS, LPIPS, LPIPSDiversity, LPIPSNetwork, LPIPSParams
from .pixel import PSNR, RMSE, SSIM, psnr_per_image, ssim_per_image
from .swd import SWD, SWDParams, laplacian_pyramid, sliced_wasserstein
from .segmentation import SegmentationParams, SegmentationScore, confusion_matrix
from .reference import StatisticsCache, load_statistics, save_statistics, statistics_key
from ganforge.weights import MissingWeights

FID_PAPER = "Heusel et al., GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium, NeurIPS 2017"
KID_PAPER = "Bińkowski et al., Demystifying MMD GANs, ICLR 2018"
IS_PAPER = "Salimans et al., Improved Techniques for Training GANs, NeurIPS 2016"
LPIPS_PAPER = "Zhang et al., The Unreasonable Effectiveness of Deep Features as a Perceptual Metric, CVPR 2018"
STARGAN2_PAPER = "Choi et al., StarGAN v2: Diverse Image Synthesis for Multiple Domains, CVPR 2020"
PGGAN_PAPER = "Karras et al., Progressive Growing of GANs for Improved Quality, Stability, and Variation, ICLR 2018"
SSIM_PAPER = "Wang et al., Image Quality Assessment: From Error Visibility to Structural Similarity, IEEE TIP 2004"


def register_components(register) -> None:
    """Register the built-in metrics (called by the core's own plugin, ganforge.builtin)."""
    register("metric", "fid", FID, summary="Fréchet Inception Distance (float64 streaming statistics)",
             paper=FID_PAPER)
    register("metric", "kid", KID, summary="Kernel Inception Distance (torch-fidelity's subsets)", paper=KID_PAPER)
    register("metric", "is", InceptionScore, summary="Inception Score over splits", paper=IS_PAPER)
    register("metric", "lpips", LPIPS, summary="LPIPS v0.1 between outputs and ground truth", paper=LPIPS_PAPER)
    register("metric", "lpips_diversity", LPIPSDiversity, summary="mean pairwise LPIPS of outputs for one input",
             paper=STARGAN2_PAPER)
    register("metric", "miou", SegmentationScore, summary="mIoU and pixel accuracy of a segmenter on the outputs")
    register("metric", "swd", SWD, summary="sliced Wasserstein distance of Laplacian-pyramid patches (x1e3)",
             paper=PGGAN_PAPER)
    register("metric", "psnr", PSNR, summary="peak signal-to-noise ratio on 8-bit images")
    register("metric", "ssim", SSIM, summary="structural similarity, Gaussian window 11 / sigma 1.5",
             paper=SSIM_PAPER)
    register("metric", "rmse", RMSE, summary="root mean squared error on the [0, 255] scale")
    for wf in (INCEPTION_WEIGHTS, *LPIPS_WEIGHTS):
        register.weights_file(wf)


__all__ = [
    "register_components", "FID", "FIDParams", "KID", "KIDParams", "InceptionScore", "ISParams", "PSNR", "SSIM",
    "RMSE", "LPIPS", "LPIPSDiversity", "LPIPSNetwork", "LPIPSParams", "SegmentationScore",
    "SegmentationParams", "confusion_matrix", "SWD", "SWDParams",
    "laplacian_pyramid", "sliced_wasserstein", "FeatureStatistics", "GaussianStatistics", "covariance_factor", "frechet_distance",
    "kernel_inception_distance", "inception_score", "psnr_per_image", "ssim_per_image", "CONVENTIONS",
    "inception_input", "to_uint8", "FIDInceptionV3", "load_fid_inception", "InceptionFeatures",
    "InceptionParams", "FeatureExtractor", "SyntheticFeatures", "shared_features", "StatisticsCache", "load_statistics", "save_statistics",
    "statistics_key", "MissingWeights", "SampleSizeWarning",
]
