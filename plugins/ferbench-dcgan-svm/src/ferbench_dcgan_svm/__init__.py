"""DCGAN discriminator features + SVMs for expressions and action units (Alharbawee &
Pugeault), as a ferbench plugin."""
