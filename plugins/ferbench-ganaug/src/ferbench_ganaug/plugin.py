"""Registers paper 002's table: VGG-16 and ResNet-50, each alone and with per-class GAN
augmentation (DCGAN, WGAN-GP, CGAN), and DF-SVM. Factories are lazy "module:attr"
strings: importing this module loads no torch."""

from __future__ import annotations

import copy

from ferbench import ModelSpec, Reported, hookimpl

PAPER = "002_3dfc3cd1df8070fd.txt"
FER2013_PROTOCOL = "official split; GANs trained on CK+ (test part not named)"

# Experiment B: SGD, lr 1e-4, batch 32, 200 epochs, rotation and translation augmentation
# (magnitudes and momentum not given: 10 degrees, 10 % shifts, momentum 0.9; no schedule).
CLASSIFIER = {
    "optimizer": "sgd", "lr": 1e-4, "momentum": 0.9, "weight_decay": 0.0,
    "schedule": "constant", "batch_size": 32, "epochs": 200,
    "augment": {"hflip": False, "rotate": 10.0, "shift": 0.1},
    "normalize": "dataset",
}
# Experiment A: one GAN per expression, 1,000 generated faces each, Adam lr 1e-4 for all;
# DCGAN batch 16 x 80 epochs, WGAN-GP batch 8 x 200 epochs, CGAN batch 64 (its epochs are
# not given: DCGAN's 80, CGAN being the label-conditioned DCGAN).
GANS = {
    "dcgan": ("DCGAN", {"gan_batch_size": 16, "gan_epochs": 80}),
    "wgan-gp": ("WGAN-GP", {"gan_batch_size": 8, "gan_epochs": 200}),
    "cgan": ("CGAN", {"gan_batch_size": 64, "gan_epochs": 80}),
}
GENERATED_PER_CLASS = 1000

CLASSIFIERS = {
    "vgg16": ("VGG-16 (timm vgg16, no batch norm), from scratch",
              "ferbench_ganaug.classifiers:vgg16"),
    "resnet50": ("ResNet-50 (timm resnet50), from scratch",
                 "ferbench.models.timm_models:resnet50"),
}
# Table 1, FER2013 test accuracy; CGAN's rows were discarded by the authors ("its effect
# is too poor"), so the CGAN entries carry no reported number.
REPORTED = {
    "ganaug-vgg16": 0.5492, "ganaug-resnet50": 0.6428,
    "ganaug-vgg16-dcgan": 0.6637, "ganaug-vgg16-wgan-gp": 0.6461,
    "ganaug-resnet50-dcgan": 0.7175, "ganaug-resnet50-wgan-gp": 0.6916,
    "df-svm": 0.5240,
}
TABLE_ROW = {
    "ganaug-vgg16": "VGG-16", "ganaug-resnet50": "ResNET-50",
    "ganaug-vgg16-dcgan": "VGG-16+DCGAN", "ganaug-vgg16-wgan-gp": "VGG-16+WGAN",
    "ganaug-resnet50-dcgan": "ResNET-50+DCGAN", "ganaug-resnet50-wgan-gp": "ResNET-50+WGAN",
    "df-svm": "VGG13+VGG16+VGG19+SVM",
}


def _reported(name: str) -> list[Reported]:
    if name not in REPORTED:
        return []
    return [Reported(dataset="fer2013", metric="accuracy", value=REPORTED[name], source=PAPER,
                     protocol=FER2013_PROTOCOL, note=f"Table 1, row {TABLE_ROW[name]}")]


def recipe(gan: str | None = None) -> dict:
    """The classifier recipe, with generated-data augmentation by `gan` when given."""
    out = copy.deepcopy(CLASSIFIER)
    if gan is not None:
        out["augment"].update(generator=gan, generated_per_class=GENERATED_PER_CLASS)
        out.update(GANS[gan][1], gan_lr=1e-4)
    return out


def _classifier_specs() -> list[ModelSpec]:
    specs = []
    for net, (summary, build) in CLASSIFIERS.items():
        specs.append(ModelSpec(name=f"ganaug-{net}", build=build, paper=PAPER,
                               summary=f"{summary}; paper 002 recipe, no GAN augmentation",
                               defaults=recipe(), reported=_reported(f"ganaug-{net}")))
        for gan, (label, _) in GANS.items():
            name = f"ganaug-{net}-{gan}"
            specs.append(ModelSpec(
                name=name, build=build, paper=PAPER, defaults=recipe(gan),
                paired_with=f"ganaug-{net}",  # the same classifier without generated faces
                summary=f"{summary} + {GENERATED_PER_CLASS} {label} faces per class "
                        f"({'one label-conditioned GAN' if gan == 'cgan' else 'a GAN per class'}"
                        " on the training split)",
                reported=_reported(name)))
    return specs


@hookimpl
def ferbench_register_models():
    return [*_classifier_specs(), ModelSpec(
        name="df-svm", build="ferbench_ganaug.dfsvm:build", paper=PAPER,
        summary="DF-SVM: frozen VGG-13/16/19 fc7 features, concatenated, L2-normalised, "
                "linear SVM (ImageNet weights from files, or random_init=true)",
        reported=_reported("df-svm"))]
