"""People: organisations and researcher profiles (the registry partners and reviewers come from)."""
