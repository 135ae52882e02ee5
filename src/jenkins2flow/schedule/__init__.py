"""Jenkins cron specs with Jenkins semantics: H resolved with Jenkins' own hash, TZ=, aliases, AND of dom/dow."""
