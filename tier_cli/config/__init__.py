"""tiers.toml and Render's plan catalogue: load, validate, hand back values."""
