"""The chat bridge: a Matrix bot that lets people join as learners and hear what the co-op does."""
