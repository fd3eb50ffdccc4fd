"""Registers dcgan-dsvm: DCGAN discriminator features + SVMs (Alharbawee & Pugeault). The
factory is a lazy "module:attr" string: importing this module loads no torch."""

from __future__ import annotations

from ferbench import ModelSpec, hookimpl

from .paper import PAPER, reported

# Section 3: Adam, lr 2e-4, beta1 0.5, batch 128, 300 epochs, N(0, 0.02) init, batch norm;
# the recipe is the DCGAN stage's (the SVMs have their own searches).
RECIPE = {
    "optimizer": "adam", "lr": 2e-4, "betas": [0.5, 0.999], "weight_decay": 0.0,
    "schedule": "constant", "batch_size": 128, "epochs": 300, "augment": {},
}


@hookimpl
def ferbench_register_models():
    return [ModelSpec(
        name="dcgan-dsvm", build="ferbench_dcgan_svm.method:DCGANSVM", tasks=("expression", "au"),
        summary="Unsupervised DCGAN on --pretrain-dataset; frozen D features + RBF SVM "
                "(Bayesian opt.) / linear SVM per AU (Alharbawee & Pugeault)",
        paper=PAPER, defaults=dict(RECIPE), reported=reported())]
