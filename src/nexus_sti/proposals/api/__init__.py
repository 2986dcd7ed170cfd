"""JSON routes of proposals: one proposal (proposals.py) and a call's proposals (calls.py: lists,
statistics, screening, import and export)."""
