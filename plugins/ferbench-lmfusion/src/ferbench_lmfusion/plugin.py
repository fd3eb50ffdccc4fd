"""Registers `lmfusion` (Fan et al. 2023) and its ablation without the landmark fusion module.
Factories are lazy "module:attr" strings: importing this module loads no torch."""

from __future__ import annotations

import copy

from ferbench import ModelSpec, Reported, hookimpl

PAPER = "004_c6de544117a62879.txt"

# Section V.B: Adam (beta1 0.5, beta2 0.999), batch 8, lr 2e-4 (generators) and 1e-4
# (discriminators) for both modules; left-right flips of the training set (paired: the task
# flips every image of a triple alike); 120 epochs for module 2, 400 for module 1.
RECIPE = {
    "optimizer": "adam", "lr": 2e-4, "betas": [0.5, 0.999], "weight_decay": 0.0,
    "schedule": "constant", "batch_size": 8, "epochs": 120,
    "augment": {"hflip": True}, "normalize": "none",
}
# Eq. (6) weights lambda1-3 = 0.1, 10, 100 (module 1); Eq. (9) mu1 = 1 (cGAN), mu2 = 100 (L1)
HPARAMS = {"lr_d": 1e-4, "gan_loss": "bce", "lambda_l1": 100.0, "fusion_epochs": 400,
           "lambda_fusion_adv": 0.1, "lambda_cycle": 10.0, "lambda_fusion_l1": 100.0}
NOFUSION_HPARAMS = {k: HPARAMS[k] for k in ("lr_d", "gan_loss", "lambda_l1")}

PROTOCOL = "random 8:2 train/test split of images, 256x256 (identities not stated disjoint)"


def _reported(dataset: str, ssim: float, psnr: float, table: str) -> list[Reported]:
    return [Reported(dataset=dataset, metric="ssim", value=ssim, source=PAPER,
                     protocol=PROTOCOL, note=f"{table}, the proposed model"),
            Reported(dataset=dataset, metric="psnr", value=psnr, source=PAPER,
                     protocol=PROTOCOL, note=f"{table}, the proposed model")]


@hookimpl
def ferbench_register_models():
    return [
        ModelSpec(name="lmfusion", build="ferbench_lmfusion.method:build", tasks=("transfer",),
                  summary="Landmark fusion auto-encoder + U-Net cGAN with spectral PatchGAN "
                  "(Fan et al. 2023)", paper=PAPER, defaults=copy.deepcopy(RECIPE),
                  hparams=dict(HPARAMS),
                  reported=[*_reported("ckplus", 0.805, 25.610, "Table 3"),
                            *_reported("rafd", 0.801, 19.338, "Table 4")],
                  paired_with="lmfusion-nofusion"),
        ModelSpec(name="lmfusion-nofusion", build="ferbench_lmfusion.method:build_nofusion",
                  tasks=("transfer",), summary="lmfusion ablation: no landmark fusion module, "
                  "the U-Net sees the target's own landmark image", paper=PAPER,
                  defaults=copy.deepcopy(RECIPE), hparams=dict(NOFUSION_HPARAMS)),
    ]
