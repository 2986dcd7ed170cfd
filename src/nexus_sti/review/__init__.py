"""Review: conflicts, reviewer assignment, reviews and score calibration."""
