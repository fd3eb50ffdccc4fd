"""Every number of the paper's result tables as `Reported` metadata: Table II (per-emotion
ROC AUC of the eight emotion experiments), Table III (accuracy, "ours"), Table IV (per-AU
ROC AUC of the eight AU experiments, Table V names their datasets) and Table VII
(generated-image quality on RaFD). Metric names follow ferbench's columns where one exists
(accuracy, macro_auc, mean_auc, fid, ssim); the others (per-class and per-AU AUC, IS, AMT)
are kept for the model card and print nowhere."""

from __future__ import annotations

from ferbench import Reported

PAPER = "001_57125b386c625362.txt"
SPLIT = "the SVM's train/test split is not stated"

# Table II: experiment -> (pretraining set, evaluated dataset, ferbench dataset, protocol)
EMOTION_EXPERIMENTS = {
    1: ("CK+ (enhanced CK)", "RaFD frontal", "rafd"),
    2: ("CelebA", "RaFD frontal", "rafd"),
    3: ("CK+ (enhanced CK)", "RaFD multi-view", "rafd"),
    4: ("RaFD multi-view", "RaFD multi-view", "rafd"),
    5: ("RaFD frontal", "RaFD frontal", "rafd"),
    6: ("RAF-DB", "RAF-DB", "rafdb"),
    7: ("KDEF", "KDEF", "kdef"),
    8: ("SFEW", "SFEW", "sfew"),
}
EMOTIONS = ("angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")
TABLE_II = {  # emotion -> AUC of Exp 1..8 (None: no such class)
    "angry": (0.982, 0.999, 0.959, 0.951, 0.999, 0.937, 0.888, 0.759),
    "contempt": (0.936, 0.994, 0.897, 0.858, 0.999, None, None, None),
    "disgust": (1, 1, 0.994, 1, 1, 0.790, 0.933, 0.823),
    "fear": (1, 0.998, 0.977, 0.972, 0.998, 0.925, 0.723, 0.835),
    "happy": (1, 1, 0.998, 0.993, 1, 0.833, 0.974, 0.719),
    "neutral": (0.957, 0.994, 0.875, 0.812, 0.999, 0.911, 0.905, 0.737),
    "sad": (0.967, 0.998, 0.940, 0.932, 0.999, 0.843, 0.785, 0.683),
    "surprise": (1, 0.999, 0.991, 1, 1, 0.851, 0.943, 0.720),
    "average": (0.980, 0.998, 0.954, 0.932, 0.999, 0.870, 0.879, 0.754),
}
# Table III ("ours") and section 4-A5: dataset -> (accuracy, experiment, where)
ACCURACY = {
    "rafd": (0.9857, 1, "Table III (Radboud, read as Exp1: pretrained on CK)"),
    "kdef": (0.6044, 7, "Table III"),
    "rafdb": (0.6187, 6, "Table III"),
    "sfew": (0.4452, 8, "Table III"),
}
EXP5_ACCURACY = 0.9764  # section 4-A 5): RaFD frontal pretrained on itself

# Table V: AU experiment -> (pretraining, SVM training, testing, ferbench test dataset)
AU_EXPERIMENTS = {
    1: ("CK+", "CK+", "CK+", "ckplus"),
    2: ("CK+", "RaFD", "RaFD", "rafd"),
    3: ("CelebA", "CK+", "CK+", "ckplus"),
    4: ("CelebA", "CK+", "RaFD", "rafd"),
    5: ("CelebA", "RaFD", "CK+", "ckplus"),
    6: ("CelebA", "RaFD", "RaFD", "rafd"),
    7: ("CK+", "CK+", "RaFD", "rafd"),
    8: ("CK+", "RaFD", "CK+", "ckplus"),
}
AUS = (1, 2, 4, 5, 6, 7, 9, 12, 15, 17, 23, 24, 25, 27)
TABLE_IV = {  # AU -> ROC AUC of Exp 1..8
    1: (0.998, 0.994, 0.961, 0.909, 0.896, 0.996, 0.890, 0.896),
    2: (0.918, 0.999, 0.948, 0.744, 0.633, 0.998, 0.705, 0.677),
    4: (0.788, 0.993, 0.887, 0.515, 0.656, 0.990, 0.519, 0.663),
    5: (0.982, 0.996, 0.991, 0.676, 0.808, 0.980, 0.624, 0.767),
    6: (0.895, 1, 0.908, 0.574, 0.518, 1, 0.568, 0.542),
    7: (1, 0.984, 1, 0.757, 0.649, 0.979, 0.642, 0.601),
    9: (0.990, 1, 0.997, 0.668, 0.546, 1, 0.683, 0.565),
    12: (1, 0.990, 0.980, 0.515, 0.633, 0.967, 0.549, 0.615),
    15: (0.932, 0.992, 0.963, 0.510, 0.659, 0.990, 0.518, 0.647),
    17: (0.785, 0.986, 0.873, 0.708, 0.807, 0.984, 0.623, 0.748),
    23: (0.882, 0.980, 0.927, 0.865, 0.828, 0.979, 0.775, 0.814),
    24: (0.948, 0.984, 0.902, 0.849, 0.688, 0.979, 0.822, 0.721),
    25: (0.998, 0.999, 0.992, 0.799, 0.929, 0.999, 0.755, 0.894),
    27: (0.672, 1, 0.669, 0.668, 0.541, 0.999, 0.678, 0.519),
}
AU_AVERAGE = (0.913, 0.993, 0.928, 0.697, 0.699, 0.989, 0.668, 0.691)
# Table VII, "Ours": generated RaFD faces
GENERATION = {"is": 1.874, "fid": 22.318, "ssim": 0.8942, "amt": 0.7672}


def _emotion_protocol(exp: int) -> str:
    pretrained, evaluated, _ = EMOTION_EXPERIMENTS[exp]
    return f"emotion Exp{exp}: DCGAN pretrained on {pretrained}, SVM on {evaluated}; {SPLIT}"


def _au_protocol(exp: int) -> str:
    pretrained, trained, tested, _ = AU_EXPERIMENTS[exp]
    relabelled = " (RaFD AUs derived from emotions, Table VI)" if "RaFD" in (trained,
                                                                            tested) else ""
    return (f"AU Exp{exp}: DCGAN pretrained on {pretrained}, SVM trained on {trained}, "
            f"tested on {tested}{relabelled}")


def reported() -> list[Reported]:
    """Every number of Tables II, III, IV and VII (and section 4-A5's accuracy)."""
    out = []
    for emotion, values in TABLE_II.items():
        metric = "macro_auc" if emotion == "average" else f"per_class_auc.{emotion}"
        for exp, value in enumerate(values, 1):
            if value is not None:
                out.append(Reported(dataset=EMOTION_EXPERIMENTS[exp][2], metric=metric,
                                    value=value, source=PAPER, protocol=_emotion_protocol(exp),
                                    note="Table II"))
    for dataset, (value, exp, where) in ACCURACY.items():
        out.append(Reported(dataset=dataset, metric="accuracy", value=value, source=PAPER,
                            protocol=_emotion_protocol(exp), note=where))
    out.append(Reported(dataset="rafd", metric="accuracy", value=EXP5_ACCURACY, source=PAPER,
                        protocol=_emotion_protocol(5), note="section 4-A 5)"))
    for exp, (_, trained, tested, dataset) in AU_EXPERIMENTS.items():
        derived = "RaFD" in (trained, tested)  # Table VI's relabelling
        for au, values in TABLE_IV.items():
            out.append(Reported(dataset=dataset, metric=f"per_au_auc.AU{au}",
                                value=values[exp - 1], source=PAPER, derived_aus=derived,
                                protocol=_au_protocol(exp), note="Table IV"))
        out.append(Reported(dataset=dataset, metric="mean_auc", value=AU_AVERAGE[exp - 1],
                            source=PAPER, protocol=_au_protocol(exp), note="Table IV",
                            derived_aus=derived))
    for metric, value in GENERATION.items():
        out.append(Reported(dataset="rafd", metric=metric, value=value, source=PAPER,
                            protocol="DCGAN trained on RaFD; generated faces",
                            note="Table VII (AMT: human study, share of judges fooled)"))
    return out
