"""Baseline models: timm VGG/ResNet, a tiny CNN for tests, classic pixel/HOG classifiers."""
