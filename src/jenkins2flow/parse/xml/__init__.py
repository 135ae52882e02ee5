"""Handlers for the parts of a job config.xml, one module per Jenkins category."""
