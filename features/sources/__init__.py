"""The raw sources as the bank holds them: schemas checked on every read, the PAD's forms, the loan ledger."""
