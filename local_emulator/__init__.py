"""The whole system on one machine, for development, tests and the demo. Its parts:

- ``fakes/``: the fake Stripe and fake QBO servers (as strict as the real services, each rule
  citing its source) and the local HTTP serving they share.
- ``harness/``: what runs the stack: ``stack`` (fakes, functions, queue and settings in one
  process), ``host`` (every function on one port), ``runner`` (a scenario file through the
  stack), ``campaign`` (months under heavy faults), ``crashes``, ``demo``.
- ``checks/``: the one checker, one module per Stripe object family, judging QBO's books
  against Stripe's figures without the production code.
- ``cli/``: the local commands of ``stripe-qbo-sync`` (demo, run, check, generate, campaign,
  reconcile); the command line itself is ``shared.cli``.
- ``generator/`` and ``scenarios/``: synthetic Stripe data (a simulator, realistic months, the
  demo's story, payouts) and the library of scenario files built from it.

Nothing in production imports this package.
"""
