"""The `aicap` command: above both the library (`kg`) and the HTTP layer (`server`)."""
