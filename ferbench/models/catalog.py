"""The built-in model specs (lazy: timm and torch load only when a model is built)."""

from ..specs import ModelSpec

CNN_DEFAULTS = {
    "optimizer": "adamw", "lr": 1e-3, "weight_decay": 5e-4, "schedule": "cosine",
    "loss": "cross_entropy", "batch_size": 64, "epochs": 15,  # ~3 min on 2 CPU cores
    "augment": {"hflip": True, "shift": 0.1, "rotate": 10.0, "zoom": 0.1},
    "normalize": "dataset",
}


def _timm(name: str, summary: str) -> ModelSpec:
    return ModelSpec(name=name, build=f"ferbench.models.timm_models:{name.replace('-', '_')}",
                     summary=summary, defaults=dict(CNN_DEFAULTS), tasks=BOTH)


BOTH = ("expression", "au")

MODELS = [
    *[_timm(f"vgg{d}", f"VGG-{d} with batch norm (timm vgg{d}_bn), from scratch")
      for d in (11, 13, 16, 19)],
    *[_timm(f"resnet{d}", f"ResNet-{d} (timm resnet{d}), from scratch") for d in (18, 34, 50)],
    ModelSpec(name="tiny-cnn", build="ferbench.models.tiny_cnn:build",
              summary="Three-layer CNN (~30k parameters) for tests and smoke runs",
              defaults={**CNN_DEFAULTS, "epochs": 3}, tasks=BOTH),
    ModelSpec(name="hog-svm-linear", build="ferbench.models.classic:hog_svm_linear",
              summary="HOG features + linear SVM (scikit-learn), C by subject-grouped CV"),
    ModelSpec(name="hog-svm-rbf", build="ferbench.models.classic:hog_svm_rbf",
              summary="HOG features + RBF SVM (scikit-learn), C by subject-grouped CV"),
    ModelSpec(name="hog-svm-au", build="ferbench.models.classic:hog_svm_au", tasks=("au",),
              summary="HOG features + one linear SVM per AU, C by subject-grouped CV"),
    ModelSpec(name="identity", build="ferbench.models.transfer_baselines:identity",
              tasks=("transfer",), defaults={"epochs": 1},
              summary="Expression transfer floor: returns the target image unchanged"),
    ModelSpec(name="pix2pix", build="ferbench.models.transfer_baselines:pix2pix",
              tasks=("transfer",),
              summary="pix2pix (Isola et al.): residual U-Net + PatchGAN on the target image "
              "and the source's landmarks aligned onto it, cGAN + L1",
              defaults={"optimizer": "adam", "lr": 2e-4, "betas": [0.5, 0.999],
                        "schedule": "constant", "batch_size": 16, "epochs": 10,
                        "augment": {"hflip": True}, "normalize": "none"},
              hparams={"lr_d": 2e-4, "lambda_l1": 100.0, "gan_loss": "bce"}),
    ModelSpec(name="logreg-pixels", build="ferbench.models.classic:logreg_pixels",
              summary="Logistic regression on standardised raw pixels, C by grouped CV"),
]
