"""The fake services the whole project is proven against: Stripe and QBO, served on loopback."""
