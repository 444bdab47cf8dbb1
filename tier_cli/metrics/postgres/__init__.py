"""The only code that talks to PostgreSQL: read-only sessions, SQL, peak, plans."""
