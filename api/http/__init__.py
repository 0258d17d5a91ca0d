"""The HTTP API's blueprints, one per area, and what they share."""
