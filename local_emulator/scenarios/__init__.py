"""The scenario library: one small Stripe event file per posting-table row and per case.

Run one with ``python -m local_emulator run --events local_emulator/scenarios/<name>.jsonl
--out DIR`` and judge it with ``python -m local_emulator check --events ... --out DIR``.
Rebuild them all (deterministically) with ``python -m local_emulator.scenarios.build``.
The home currency is USD.

Customers and invoices
    customer_created_updated          two customers (USD, EUR), one renamed, one new email; an
                                      invoice for the first
    invoice_finalized                 an open invoice: two lines, quantities, unit amounts
    invoice_full_detail               products and prices (``pricing.price_details``),
                                      quantities, a 15 % discount (one line not discountable),
                                      7.25 % exclusive tax, service periods, due date, memo
    invoice_draft_only                a draft never finalized: nothing posts for it
    invoice_paid_in_full              charged automatically, paid in one payment
    invoice_partial_payments          two partial payments, still open
    invoice_several_payments          three payments that settle it
    invoice_paid_out_of_band          paid entirely outside Stripe
    invoice_partial_then_out_of_band  part paid by card, the rest out of band
    invoice_voided                    one invoice voided, another left open
    invoice_uncollectible             part paid then uncollectible; another uncollectible unpaid
    long_invoice_number               two Stripe numbers over 21 characters with the same tail
    products_and_prices               two products, two invoices using both: one Item each
    failed_payment_then_success       a declined charge, then a successful one
    customer_two_currencies           one customer invoiced in USD and in EUR

Charges and refunds
    charge_without_invoice            a one-off charge (and a declined one) outside invoices
    charge_without_customer           a guest charge with no customer
    refund_full                       an invoice's charge refunded in full
    refund_partial                    a one-off charge refunded in part
    refunds_several_on_one_charge     two partial refunds, a failed one, then the rest
    refund_failed                     a refund that failed: nothing posts for it

Credit notes
    credit_note_pre_payment           credit before payment reduces the amount due; rest paid
    credit_note_pre_payment_full      credit of the whole amount due settles the invoice
    credit_note_post_payment_refund   after payment, refunded on the card
    credit_note_post_payment_balance  after payment, credited to the customer's balance
    credit_note_post_payment_mixed    after two payments: part refunded (across both charges),
                                      part credited to the balance
    credit_note_voided_pre_payment    a credit before payment, voided: the amount is due again
    credit_note_voided_post_payment   a balance credit after payment, voided
    credit_note_voided_then_paid      credited before payment, voided 3 h later (the next UTC
                                      day), then paid in full: a day later, the same day, or
                                      seconds later with the payment's events delivered first
    refund_after_credit_note          credit before payment, payment, then a partial refund

Customer credit balance (balance transactions are bare objects: Stripe sends no event for them)
    credit_balance_from_credit_note   a paid invoice credited to the balance; the next invoice
                                      uses part of it (``starting_balance`` < 0)
    credit_balance_adjustment         a credit given by hand; two invoices use it up
    credit_balance_covers_invoice     a credit note's and an adjustment's credit pay a whole
                                      invoice: paid at finalization with no payment
    credit_balance_invoice_voided     an invoice that used credit is voided: the credit returns
                                      and the next invoice uses it

Shipping and billing credits
    invoice_shipping                  shipping taxed at the lines' rate; untaxed shipping, paid
    invoice_billing_credits           billing credits and a discount applied before tax

Payments attached late and payments outside Stripe
    payment_attached_late             a PaymentIntent paid alone, attached days later; rest by card
    payment_attached_then_confirmed   attached first, then confirmed (Stripe's documented order)
    payment_attached_events_reversed  a late attachment's events newest first, then oldest first
    payment_record                    paid by a recorded bank transfer; card and transfer together
    payment_record_refund             recorded transfer; a credit note refunds part outside
                                      Stripe (``payment_record_refund``) and credits the rest

References Stripe will not return
    product_deleted                   a line whose product Stripe answers 404 for: default item

Disputes
    dispute_won                       an invoice's charge disputed (amount and fee withdrawn),
                                      then won (both reinstated)
    dispute_lost                      a one-off charge disputed and lost
    dispute_open                      disputed, funds withdrawn, not closed yet

Currencies (each: tax and a discount, two payments, a partial refund, a one-off charge
disputed and won, a second invoice left open; a clearing account per currency)
    currency_eur, currency_jpy, currency_krw (zero-decimal), currency_kwd (three-decimal, no
    tax), currency_bhd (three-decimal, 10 % tax)

Delivery order
    payment_before_invoice            payment events delivered before the invoice's events
    events_reversed_and_repeated      every event newest first, then all again oldest first
"""
