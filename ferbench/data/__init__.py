"""Datasets: the FaceSet container, protocols, caching, transforms and the loaders."""
