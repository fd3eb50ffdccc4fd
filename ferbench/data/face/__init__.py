"""The face pipeline for uncropped datasets: detection (dlib HOG or OpenCV Haar), dlib's
68 landmarks, eye-level alignment and a disk cache."""

from .pipeline import AlignedFaces, align_faces

__all__ = ["AlignedFaces", "align_faces"]
