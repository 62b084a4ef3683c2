"""Config: text -> a validated pipeline model."""
