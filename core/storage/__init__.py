"""Storage: the schema, the SQL, and the units of work the services run in."""
