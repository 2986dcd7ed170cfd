"""Pages of the review stage: the officer's, the reviewer's and the results (scores, ranking)."""
