-- Why: "synthetic" describes the data of a version, not the layer for ever (issue 10): a real
-- upload into a layer that held synthetic data must stop being labelled synthetic, and a
-- rollback to the synthetic version must label it again. The layer's flag follows the
-- version it serves.
ALTER TABLE layer_version ADD COLUMN synthetic boolean;
UPDATE layer_version v SET synthetic = l.synthetic FROM layer l WHERE l.layer_id = v.layer_id;
ALTER TABLE layer_version ALTER COLUMN synthetic SET NOT NULL, ALTER COLUMN synthetic SET DEFAULT false;

CREATE FUNCTION layer_synthetic_follows_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.current_version_id IS NOT NULL THEN
        NEW.synthetic := COALESCE(
            (SELECT synthetic FROM layer_version WHERE layer_version_id = NEW.current_version_id),
            NEW.synthetic);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER layer_synthetic_follows_version
    BEFORE UPDATE OF current_version_id ON layer
    FOR EACH ROW EXECUTE FUNCTION layer_synthetic_follows_version();
