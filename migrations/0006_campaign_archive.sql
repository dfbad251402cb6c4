-- Issue 15: a mistaken or finished campaign can be archived: it leaves the campaign lists, gives
-- its name back (it is renamed "<name> (archived #<id>)") and takes no more rater work (its status
-- is closed as well). archived_at is when (ms since the epoch); NULL for a live campaign. Additive:
-- campaigns from before it are live. A campaign with judgements is archived rather than deleted,
-- since judgements are append-only.
ALTER TABLE campaigns ADD COLUMN archived_at INTEGER;
