"""ferbench plugin for the multiscale convolutional attention residual network of Wang & Zhang.

`plugin` registers the models (without importing torch), `model` builds the network and
`loss` holds the paper's cosine-similarity loss.
"""
