-- 009: rule kinds that say WHO a risk is about and WHEN (cc_risk.h):
-- other (a third party), self (the writer), treated (the third party is
-- the patient) and past (long ago or resolved); and the words that cut
-- clauses (clause), go on with a list (list) or start a new statement
-- (subject), as data.  The compiler checks the rest of each rule, as for
-- the older kinds.
ALTER TABLE risk_rules DROP CONSTRAINT risk_rules_kind_check;
ALTER TABLE risk_rules ADD CONSTRAINT risk_rules_kind_check
    CHECK (kind IN ('word', 'phrase', 'negator', 'unless', 'other', 'self',
                    'treated', 'past', 'clause', 'list', 'subject'));
