-- send_relance: reminders recorded once per confirmation and throttled by the day of the last
-- one; the outbox they go through, sent by a worker that finds work across tenants.
--
-- The outbox's life: `en_attente` (queued) → `envoi` (claimed by a worker; `prochaine_tentative`
-- is then the end of its lease, after which another worker may claim it again) → `envoye`, or
-- `echec` (will be tried again at `prochaine_tentative`) → … → `abandonne` (dead letter: a
-- permanent refusal, or too many attempts; an operator may queue it again).

-- One confirmation reminds a co-owner once at most, whatever the number of clicks or workers:
-- the database decides.
ALTER TABLE relances
    ADD COLUMN confirmation_id uuid,
    -- The day of the reminder as the application's clock says it (Africa/Casablanca): what the
    -- throttle ("never twice within N days") compares.
    ADD COLUMN date_relance date NOT NULL DEFAULT (now() AT TIME ZONE 'Africa/Casablanca')::date,
    ADD CONSTRAINT relances_une_par_confirmation UNIQUE (confirmation_id, coproprietaire_id);
CREATE INDEX relances_coproprietaire_date ON relances (coproprietaire_id, date_relance DESC);

-- The last message received from the user on this channel. WhatsApp accepts free text only
-- within 24 hours of it; outside, an approved template. The channel adapters keep it current.
ALTER TABLE channel_links ADD COLUMN dernier_entrant_le timestamptz;

-- The provider's id of a sent message (Telegram message_id, WhatsApp wamid, SMTP response).
ALTER TABLE outbox
    ADD COLUMN reference_externe text,
    ADD CONSTRAINT outbox_envoye_date CHECK ((statut = 'envoye') = (envoye_le IS NOT NULL));

-- What a worker claims: queued, failed and due again, or claimed by a worker whose lease ran out.
DROP INDEX outbox_a_envoyer;
CREATE INDEX outbox_a_envoyer ON outbox (prochaine_tentative)
    WHERE statut IN ('en_attente', 'envoi', 'echec');

-- The syndics that have outbox messages due now. The worker runs as `wakil_app`, which sees one
-- tenant per transaction: it asks this (ids only), then works in each syndic's own transaction.
CREATE FUNCTION wakil_outbox_syndics_dus()
RETURNS TABLE (syndic_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT o.syndic_id FROM outbox o
    WHERE o.statut IN ('en_attente', 'envoi', 'echec') AND o.prochaine_tentative <= now()
$$;

REVOKE ALL ON FUNCTION wakil_outbox_syndics_dus() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION wakil_outbox_syndics_dus() TO wakil_app;
