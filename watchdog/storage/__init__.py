"""The write path: batches of items written to the database in one transaction each, with their provenance."""
