"""Where metrics come from: a snapshot file, the demo, or PostgreSQL (postgres/)."""
