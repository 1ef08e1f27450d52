"""The newsroom front end: Datasette over the database, with the project's metadata, questions and pages."""
