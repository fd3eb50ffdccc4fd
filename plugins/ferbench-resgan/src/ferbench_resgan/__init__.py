"""ferbench plugin for Wang (2021), "Improved Facial Expression Recognition Method Based on
GAN": a ResNet-18 feature extractor and classifier trained with an adversarially trained
encoder-decoder generator.

`plugin` registers the models (without importing torch), `networks` holds G_f, G_c, G_h and
G_d, and `method` trains them.
"""
