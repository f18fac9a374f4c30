-- Up Migration

-- A report as of a past day finds the cases that moved in or out of a subtree through their transfers.
CREATE INDEX case_events_transfers_idx ON case_events (case_id) WHERE kind = 'case-noted' AND data ->> 'note' = 'transfer';
