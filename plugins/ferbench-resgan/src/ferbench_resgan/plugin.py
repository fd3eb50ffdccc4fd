"""Registers `resgan` (Wang 2021) and its ablation `resgan-noadv` (no adversarial term).
Factories are lazy "module:attr" strings: importing this module loads no torch."""

from __future__ import annotations

import copy

from ferbench import ModelSpec, Reported, hookimpl

PAPER = "000_9b6ecb3edccdd68b.txt"

# Section 4.1: SGD, momentum 0.9, weight decay 1e-4, lr 3e-3 times (1 - iter/max_iter)^0.9
# (the method steps it per iteration). Batch size and epochs are not stated: 16 and 20
# (Figure 6 converges by its 18th "iteration"). No augmentation is mentioned.
RECIPE = {
    "optimizer": "sgd", "lr": 3e-3, "momentum": 0.9, "weight_decay": 1e-4,
    "schedule": "poly", "poly_power": 0.9, "batch_size": 16, "epochs": 20, "augment": {},
}
# The discriminator: Adam, betas (0.9, 0.99), lr 1e-4, the same poly decay; E_adv's weight
# in E_total is 1 (formula 5).
ADVERSARIAL = {"lr_d": 1e-4, "adv_weight": 1.0}

UNSTATED = "protocol not stated in the paper"
JAFFE = f"{UNSTATED} (213 images, 10 subjects, 7 classes)"
CKPLUS = f"{UNSTATED} (951 images of 123 subjects, 7 classes)"
FER2013 = "official"  # Training / PublicTest / PrivateTest; the test part is assumed PrivateTest
# Figure 7, the diagonal of the FER2013 confusion matrix, by ferbench's fer2013 class names
FER2013_RECALL = {"anger": 0.65, "disgust": 0.62, "fear": 0.57, "happy": 0.88,
                  "sadness": 0.58, "surprise": 0.85, "neutral": 0.67}
# Tables 3-5, "running time (s)": what was timed is not said (training or testing, which
# hardware share); recorded for completeness, no leaderboard column matches it
RUNNING_SECONDS = {"jaffe": (54.23, JAFFE, "Table 3"), "ckplus": (84.23, CKPLUS, "Table 4"),
                   "fer2013": (134.23, FER2013, "Table 5")}


def _reported() -> list[Reported]:
    entries = [
        Reported(dataset="jaffe", metric="accuracy", value=0.966, source=PAPER,
                 protocol=JAFFE, note="Table 3; abstract"),
        Reported(dataset="ckplus", metric="accuracy", value=0.956, source=PAPER,
                 protocol=CKPLUS, note="Table 4; abstract"),
        Reported(dataset="fer2013", metric="accuracy", value=0.728, source=PAPER,
                 protocol=FER2013, note="Table 5; abstract"),
    ]
    entries += [Reported(dataset="fer2013", metric=f"per_class_recall.{name}", value=value,
                         source=PAPER, protocol=FER2013, note="Figure 7 diagonal")
                for name, value in FER2013_RECALL.items()]
    entries += [Reported(dataset=dataset, metric="running_seconds", value=value, source=PAPER,
                         protocol=protocol, note=f"{where}; what was timed is not stated")
                for dataset, (value, protocol, where) in RUNNING_SECONDS.items()]
    return entries


@hookimpl
def ferbench_register_models():
    return [
        ModelSpec(name="resgan", build="ferbench_resgan.method:build", paper=PAPER,
                  summary="ResNet-18 G_f + FC G_c, adversarial encoder-decoder G_h vs "
                          "VGG-16 G_d (Wang 2021)",
                  defaults=copy.deepcopy(RECIPE), hparams=dict(ADVERSARIAL),
                  reported=_reported(), paired_with="resgan-noadv"),
        ModelSpec(name="resgan-noadv", build="ferbench_resgan.method:build_noadv",
                  paper=PAPER,
                  summary="resgan ablation: G_f + G_c with E_c only (no G_h, no G_d)",
                  defaults=copy.deepcopy(RECIPE)),
    ]
