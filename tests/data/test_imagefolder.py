"""imagefolder loader: class-folder trees with canonical names, and CSV manifests."""

import pytest

from ferbench.data.formats.imagefolder import load
from ferbench.errors import UserError


def test_class_folders_map_to_canonical_names(tmp_path, write_image, write_corrupt):
    for folder, n in (("Angry", 2), ("calm", 1), ("happiness", 3), ("Surprised", 1)):
        for i in range(n):
            write_image(tmp_path / folder / f"{i}.png", (30, 40), seed=i)
    write_image(tmp_path / "happiness" / "more" / "nested.jpg")
    write_corrupt(tmp_path / "calm" / "bad.png")
    fs = load(tmp_path, image_size=24)
    # sorted folder names, as torchvision's ImageFolder sorts them: Angry, Surprised, calm, ...
    assert fs.info.class_names == ("anger", "surprise", "calm", "happy")
    assert fs.class_counts() == {"anger": 2, "surprise": 1, "calm": 1, "happy": 4}
    assert "happiness/more/nested.jpg" in fs.keys.tolist()
    assert fs.images.shape == (8, 1, 24, 24) and fs.official_split is None
    assert fs.skipped[0][0].endswith("bad.png")
    with pytest.raises(UserError, match="bad.png: unreadable image"):
        load(tmp_path, strict=True)


def test_synonym_clash(tmp_path, write_image):
    write_image(tmp_path / "sad" / "a.png")
    write_image(tmp_path / "Sadness" / "b.png")
    with pytest.raises(UserError, match="classes Sadness and sad both mean 'sadness'"):
        load(tmp_path)


def test_manifest_with_subject_and_split(tmp_path, write_image):
    for i in range(4):
        write_image(tmp_path / "img" / f"{i}.png", seed=i)
    manifest = tmp_path / "faces.csv"
    manifest.write_text("path,label,subject,split\nimg/0.png,fearful,p1,train\n"
                        "img/1.png,Neutral,p1,train\nimg/2.png,fearful,p2,val\n"
                        "img/3.png,joy,p3,test\n")
    fs = load(manifest, channels=3)
    assert fs.info.class_names == ("neutral", "fear", "joy")  # sorted: Neutral, fearful, joy
    assert fs.labels.tolist() == [1, 0, 1, 2]
    assert fs.subjects.tolist() == ["p1", "p1", "p2", "p3"] and fs.info.num_subjects == 3
    assert fs.official_split.tolist() == ["train", "train", "val", "test"]
    assert fs.keys.tolist() == [f"img/{i}.png" for i in range(4)]


def test_manifest_errors(tmp_path, write_image):
    write_image(tmp_path / "a.png")
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,label\na.png,happy\n")
    with pytest.raises(UserError, match=r"m.csv:1: header .*lacks path"):
        load(manifest)
    manifest.write_text("path,label,split\na.png,happy,train\na.png,happy,dev\n")
    with pytest.raises(UserError, match=r"m.csv:3: unknown split 'dev'"):
        load(manifest)
    manifest.write_text("path,label\na.png,happy\nmissing.png,sad\n")
    fs = load(manifest)
    assert len(fs) == 1 and fs.skipped[0][0].endswith("missing.png")
    with pytest.raises(UserError, match="missing.png: unreadable image"):
        load(manifest, strict=True)


def test_missing_root(tmp_path):
    with pytest.raises(UserError, match="nowhere not found; expected <root>/<class>"):
        load(tmp_path / "nowhere")
    with pytest.raises(UserError, match="no class folders"):
        load(tmp_path)
