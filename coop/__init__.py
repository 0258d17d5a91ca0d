"""coop package."""
