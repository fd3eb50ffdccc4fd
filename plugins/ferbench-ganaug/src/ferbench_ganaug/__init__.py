"""ferbench plugin for paper 002: GAN data augmentation for FER, and DF-SVM."""
