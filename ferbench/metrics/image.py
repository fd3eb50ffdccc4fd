"""Image-quality metrics for expression transfer: SSIM, PSNR and L1 between generated and true
images, and the normalised mean error (NME) of 68-point landmarks.

Images are (B, C, H, W), either uint8 in [0, 255] or float in [0, 1] (generator outputs in
[-1, 1] are converted by the caller, e.g. with `ferbench.models.gan_nets.to_uint8`). Both are
mapped to float in [0, 1] and measured with data_range = 1.0, so a uint8 and a float copy of
the same images score the same. Each scalar metric is the mean over the batch of the per-image
values its `*_per_image` (or `nme_per_face`) variant returns, so the two come from one
definition (up to float rounding).
"""

from __future__ import annotations

import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from ..errors import UserError

PSNR_CAP_DB = 100.0
"""PSNR of one image is capped at this value: identical images (MSE 0) score 100 dB, not inf."""

OUTER_EYE_CORNERS = (36, 45)
"""0-based iBUG-68 indices of the outer eye corners, whose distance normalises NME."""


def _unit(images: torch.Tensor, name: str) -> torch.Tensor:
    if images.dim() != 4:
        raise UserError(f"{name}: expected images (B, C, H, W), got shape {tuple(images.shape)}")
    if images.dtype == torch.uint8:
        return images.float() / 255
    if not images.is_floating_point():
        raise UserError(f"{name}: expected uint8 or float images, got {images.dtype}")
    lo, hi = images.min().item(), images.max().item()
    if lo < 0 or hi > 1:
        raise UserError(f"{name}: float images must lie in [0, 1], got [{lo:.3g}, {hi:.3g}] "
                        "(map [-1, 1] generator output with (x + 1) / 2)")
    return images.float()


def _pair(pred: torch.Tensor, truth: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if pred.shape != truth.shape:
        raise UserError(f"pred and truth images differ in shape: {tuple(pred.shape)} vs "
                        f"{tuple(truth.shape)}")
    return _unit(pred, "pred"), _unit(truth, "truth")


def ssim_per_image(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """SSIM of each image (Wang et al. 2004), shape (B,): 11x11 Gaussian window, sigma 1.5,
    K1 0.01, K2 0.03, data range 1.0, averaged over channels and the valid pixels of the
    image, i.e. without the 5-pixel border that the window would need padding for (as Wang's
    ssim.m and scikit-image do; torchmetrics alone averages over the reflect-padded border
    too). Identical images give 1. Images must be at least 11x11."""
    p, t = _pair(pred, truth)
    if min(p.shape[-2:]) < 11:
        raise UserError(f"ssim: images must be at least 11x11 pixels, got {tuple(p.shape[-2:])}")
    _, ssim_map = structural_similarity_index_measure(
        p, t, gaussian_kernel=True, sigma=1.5, kernel_size=11, data_range=1.0,
        k1=0.01, k2=0.03, reduction="none", return_full_image=True)
    border = 5
    return ssim_map[..., border:-border, border:-border].mean(dim=(1, 2, 3))


def ssim(pred: torch.Tensor, truth: torch.Tensor) -> float:
    """Mean over the images of `ssim_per_image`."""
    return ssim_per_image(pred, truth).mean().item()


def psnr_per_image(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """PSNR of each image in dB, shape (B,): 10 log10(1 / MSE) over all its channels and
    pixels on [0, 1] images (= 20 log10(255 / RMSE) in gray levels), capped at PSNR_CAP_DB
    (100 dB) so identical images are finite."""
    p, t = _pair(pred, truth)
    per_image = peak_signal_noise_ratio(p, t, data_range=1.0, reduction="none", dim=(1, 2, 3))
    return per_image.clamp(max=PSNR_CAP_DB)


def psnr(pred: torch.Tensor, truth: torch.Tensor) -> float:
    """Mean over the images of `psnr_per_image` (not the PSNR of the pooled MSE)."""
    return psnr_per_image(pred, truth).mean().item()


def l1_per_image(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Mean absolute error of each image in [0, 1] units (1/255 per gray level), shape (B,)."""
    p, t = _pair(pred, truth)
    return (p - t).abs().mean(dim=(1, 2, 3))


def l1(pred: torch.Tensor, truth: torch.Tensor) -> float:
    """Mean absolute error over all images and pixels, i.e. the mean of `l1_per_image` (the
    images of a batch have one size)."""
    return l1_per_image(pred, truth).mean().item()


def nme_per_face(pred_landmarks: torch.Tensor, truth_landmarks: torch.Tensor) -> torch.Tensor:
    """68-point normalised mean error of each face, float64 shape (N,): the mean
    point-to-point distance divided by the inter-ocular distance (outer eye corners 36 and 45
    of the true landmarks). NaN for a face with a NaN in either set (a detection failure)."""
    pred = torch.as_tensor(pred_landmarks, dtype=torch.float64)
    truth = torch.as_tensor(truth_landmarks, dtype=torch.float64)
    if pred.shape != truth.shape or pred.dim() != 3 or pred.shape[1:] != (68, 2):
        raise UserError(f"landmarks: expected pred and truth of shape (N, 68, 2), got "
                        f"{tuple(pred.shape)} and {tuple(truth.shape)}")
    failed = pred.isnan().flatten(1).any(1) | truth.isnan().flatten(1).any(1)
    left, right = OUTER_EYE_CORNERS
    inter_ocular = (truth[:, left] - truth[:, right]).norm(dim=1)
    if (inter_ocular[~failed] == 0).any():
        raise UserError("truth landmarks: outer eye corners (points 36 and 45) coincide; "
                        "inter-ocular distance is 0")
    per_face = (pred - truth).norm(dim=2).mean(dim=1) / inter_ocular
    return per_face.masked_fill(failed, float("nan"))


def mean_nme(per_face: torch.Tensor) -> tuple[float, int]:
    """(mean over the faces without a detection failure, number of failed faces) of
    `nme_per_face` values; the mean is NaN when every face failed."""
    failed = per_face.isnan()
    return per_face[~failed].mean().item(), int(failed.sum())


def nme(pred_landmarks: torch.Tensor, truth_landmarks: torch.Tensor) -> tuple[float, int]:
    """68-point NME averaged over the detected faces: `mean_nme(nme_per_face(...))`, i.e.
    (mean NME, n_failed)."""
    return mean_nme(nme_per_face(pred_landmarks, truth_landmarks))
