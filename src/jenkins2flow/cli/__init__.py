"""The click command line; thin: parse arguments, call the library, print."""
