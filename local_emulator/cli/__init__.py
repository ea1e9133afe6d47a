"""The local command line: run, demo, generate, check, campaign, replay, report, statement."""
