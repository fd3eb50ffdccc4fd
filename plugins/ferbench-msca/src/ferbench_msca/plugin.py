"""Registers the multiscale convolutional attention residual network and its Table 3
ablations. Factories are lazy "module:attr" strings: importing this module loads no torch."""

from __future__ import annotations

import copy

from ferbench import ModelSpec, Reported, hookimpl

PAPER = "003_bf1ed9147c4217b7.txt"

# Section 3: Adam, lr 1e-3, Table 1 steps (Keras 0-based epoch index: lr 1e-3 for epochs
# 0-80, 1e-4 from 81, ...), 200 epochs, batch 128 on FER+ (7 on CK+), 48x48 input,
# per-image standardisation, 5 % shifts, 10 degree rotations, zoom 0.3, no flips.
RECIPE = {
    "optimizer": "adam", "lr": 1e-3, "weight_decay": 0.0,
    "schedule": "step_table",
    "lr_table": [[0, 1e-3], [81, 1e-4], [121, 1e-5], [161, 1e-6], [181, 5e-7]],
    "lr_table_epochs": 200,
    "loss": "ferbench_msca.loss:cosine_similarity_loss",
    "batch_size": 128, "epochs": 200,
    "augment": {"hflip": False, "shift": 0.05, "rotate": 10.0, "zoom": 0.3},
    "normalize": "per_image",
    "input_size": 48,
}

FERPLUS_PROTOCOL = "official split (28,709 train / 3,589 val / 3,589 test)"
CKPLUS_PROTOCOL = "not stated (no split or folds given; 7 classes incl. contempt)"

# name, factory, summary, FER+ accuracy, CK+ accuracy, where the paper gives them
VARIANTS = [
    ("msca-resnet", "build",
     "Multiscale conv attention ResNet: SE + BN in the multiscale branches (Wang & Zhang)",
     0.8780, 0.9932, "Table 3 row 4; also abstract, Tables 2 and 4"),
    ("msca-resnet-nose", "build_nose",
     "msca-resnet ablation: BN but no SE in the multiscale branches (Table 3)",
     0.8750, 0.9796, "Table 3 row 3"),
    ("msca-resnet-nobn", "build_nobn",
     "msca-resnet ablation: SE but no BN in the multiscale branches (Table 3)",
     0.8716, 0.9864, "Table 3 row 2"),
    ("msca-resnet-plain", "build_plain",
     "msca-resnet ablation: neither SE nor BN in the multiscale branches (Table 3)",
     0.8688, 0.9728, "Table 3 row 1"),
]


def _reported(ferplus: float, ckplus: float, where: str) -> list[Reported]:
    return [
        Reported(dataset="ferplus", metric="accuracy", value=ferplus, source=PAPER,
                 protocol=FERPLUS_PROTOCOL, note=where),
        Reported(dataset="ckplus", metric="accuracy", value=ckplus, source=PAPER,
                 protocol=CKPLUS_PROTOCOL, note=where),
    ]


@hookimpl
def ferbench_register_models():
    return [
        ModelSpec(name=name, build=f"ferbench_msca.model:{factory}", summary=summary,
                  paper=PAPER, defaults=copy.deepcopy(RECIPE),
                  reported=_reported(ferplus, ckplus, where),
                  # the paper's text is ambiguous on the layout; formula 2 has no SE biases
                  shown_options={"branch_layout": "serial", "se_bias": True})
        for name, factory, summary, ferplus, ckplus, where in VARIANTS
    ]
