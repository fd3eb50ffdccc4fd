"""Loaders for real, licence-gated FER datasets: one module per on-disk format, each with
`load(root, *, image_size=48, channels=1, strict=False, **options) -> FaceSet`.

ferbench never downloads these datasets; `docs/datasets.md` gives each expected layout."""
