"""JSON routes of the review stage: the officer's (pools, assignment, forms, calibration) and the
reviewer's (invitations, assignments, reviews)."""
