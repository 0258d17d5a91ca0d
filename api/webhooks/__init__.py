"""Webhooks: the events of each commit, their signed delivery to allied apps, and where each app wants them."""
