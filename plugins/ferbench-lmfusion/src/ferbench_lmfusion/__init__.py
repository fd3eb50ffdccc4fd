"""ferbench plugin for the expression transfer model of Fan et al. (2023): landmark fusion
(module 1) and a conditional GAN with a modified U-Net (module 2).

`plugin` registers the models (without importing torch), `nets` holds the networks and
`method` the two-stage training.
"""
