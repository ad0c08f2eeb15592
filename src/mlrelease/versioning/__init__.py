"""versioning."""
