-- Issue 11: the Prolific code is handed out only once the rater has finished the assignment rules,
-- and the researcher sees when: completion_outcome says which code the rater was first given
-- ('completed', or 'screened-out' after a failed qualification round or attention check) and
-- completion_shown_at when (ms since the epoch). Both stay NULL until then; the first values are
-- kept, so the verdict a participant saw is the one on record. Additive: older raters keep NULL.
ALTER TABLE raters ADD COLUMN completion_outcome TEXT CHECK (completion_outcome IN ('completed', 'screened-out'));
ALTER TABLE raters ADD COLUMN completion_shown_at INTEGER;
