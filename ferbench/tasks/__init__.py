"""Tasks as plugins: expression recognition, AU detection and expression transfer."""

from .base import Column, Evaluation, Task

__all__ = ["Column", "Evaluation", "Task"]
