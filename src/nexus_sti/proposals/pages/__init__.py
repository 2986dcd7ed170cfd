"""Pages of proposals: the editor and one proposal (proposals.py; what the editor's pages share,
its row buttons and live checks, in editor.py), a call's submissions and screening
(screening.py)."""
