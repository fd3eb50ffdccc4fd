"""`Method`: the interface for anything that is not a plain supervised classifier."""

from __future__ import annotations


class Method:
    """A trainable method. Subclasses implement `fit` and `predict` (emotions, AUs) or
    `generate` (transfer). Images are uint8 tensors (B, C, H, W) as stored in a FaceSet;
    a method does its own normalisation so that what is timed is the whole inference."""

    def fit(self, train, val, ctx) -> None:
        """Train on the FaceSet `train`; `val` may select checkpoints, never the test set."""
        raise NotImplementedError

    def predict(self, images):
        """Scores (B, num_classes) as a float tensor (probabilities or logits)."""
        raise NotImplementedError

    def generate(self, batch):
        """uint8 images of each target's identity wearing its source's expression; `batch`
        is a dict of the transfer task's fields (source, target, landmark images, labels)."""
        raise NotImplementedError(f"{type(self).__name__} does not generate images")

    def inference_module(self):
        """The nn.Module that inference runs (timed, counted), or None when there is none."""
        return None
