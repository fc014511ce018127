"""Source systems: the port the sync engine talks to, and its Wisenet and file implementations."""
