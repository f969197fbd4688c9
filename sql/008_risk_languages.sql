-- 008: risk rules in the languages patients in Europe write in, not only
-- English, Spanish and French (cc_risk.h CC_RISK_LANGS lists the same).
ALTER TABLE risk_rules DROP CONSTRAINT risk_rules_lang_check;
ALTER TABLE risk_rules ADD CONSTRAINT risk_rules_lang_check
    CHECK (lang IN ('en', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'pl', '*'));
