"""Pages of proposals: the editor and one proposal (proposals.py), a call's submissions and
screening (screening.py)."""
