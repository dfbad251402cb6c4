-- The compact shown order (option values per choice question in the order this rater saw them,
-- see src-main/export/shown-order.ts), written with each submission so exports need not parse
-- shown_json per row (issue 5: exports at >= 200k rows/s). Additive: rows written before this
-- migration keep NULL and exports derive the order from shown_json for them. Judgements are
-- append-only (triggers refuse UPDATE), so there is no backfill.
ALTER TABLE judgements ADD COLUMN shown_order TEXT;
