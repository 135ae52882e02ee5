"""parse: text -> syntax (config.xml and Jenkinsfiles); no semantics."""
