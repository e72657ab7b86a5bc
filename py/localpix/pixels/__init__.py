"""The pixel pipeline: decode safely (pixel limit first), then orient, fit and normalise."""
