-- Tenants (issue 14): one Stripe account bound to one QBO realm, with its own books settings,
-- secret names and throttle budget. Data, not a deployment: `stripe-qbo-sync tenants add` appends
-- a row and every function sees it within tenant_cache_seconds. Appended, never updated: the
-- latest row per tenant is its current state (tenants_current); `tenants disable` appends one.
-- No row at all: the deployment has one tenant, 'default', built from its settings.
CREATE TABLE IF NOT EXISTS tenants (
  tenant_id STRING NOT NULL OPTIONS (description = 'lower-case letters, digits and dashes; default: the deployment itself'),
  stripe_account STRING OPTIONS (description = 'acct_... of a connected account (requests carry Stripe-Account); empty: the account of the tenant key'),
  qbo_realm_id STRING NOT NULL OPTIONS (description = 'the QBO company (realm) its books are posted to'),
  status STRING NOT NULL OPTIONS (description = 'ACTIVE | DISABLED (events archived, nothing synced)'),
  settings JSON OPTIONS (description = 'per-company settings over the deployment ones: books accounts and items, home currency, time zone, cutover date, secret names, throttle budget'),
  recorded_at TIMESTAMP NOT NULL,
  recorded_by STRING OPTIONS (description = 'who ran tenants add/disable (an email or service account)')
)
CLUSTER BY tenant_id
OPTIONS (description = 'Tenants, append-only; read tenants_current');

CREATE OR REPLACE VIEW tenants_current AS
SELECT *
FROM tenants
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY recorded_at DESC) = 1;
