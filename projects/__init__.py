"""projects package."""
