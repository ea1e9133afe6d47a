"""The harness that runs the local stack: servers, functions, queue, runs, campaign, demo."""
