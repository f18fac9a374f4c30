-- Up Migration

-- A step's decision number is reserved per attempt: two sign-offs of the same step at once each hold their
-- own number (no longer one overwriting the other's row), the one that wins drops the others' leftovers,
-- and the one that fails releases only its own. So the (case, step) pair is no longer unique.
DROP INDEX decision_numbers_case_step_idx;
CREATE INDEX decision_numbers_case_step_idx ON decision_numbers (case_id, step);
