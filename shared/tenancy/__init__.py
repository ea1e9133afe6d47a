"""Tenants (issue 14): several (Stripe account, QBO realm) pairs served by one deployment.

A tenant is data (the ``tenants`` table), resolved per request at the composition root
(shared/bootstrap/): its Settings, its scoped warehouse, queue, leases and secrets. The use
cases never see a tenant id.
"""
