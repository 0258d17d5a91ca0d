"""The `coop` command: one group per area (api/cli/main.py builds it), each a thin face over the use-case verbs."""
