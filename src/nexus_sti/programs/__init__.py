"""Programs: the versioned configuration that describes a funding program."""
