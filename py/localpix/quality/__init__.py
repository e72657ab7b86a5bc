"""Choosing the setting: automatic quality (a perceptual score each image must reach), the
target-size search, and the SSIMULACRA2 metric both judge by."""
