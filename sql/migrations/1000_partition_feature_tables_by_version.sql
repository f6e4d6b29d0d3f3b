-- Why: every load writes a new layer version. With all versions of a kind in one table, a
-- load's COPY updated that table's GiST index row by row (200,000 points: 3.0 s with the
-- index, 0.8 s without), and a change set copying the served rows paid the same again. Now
-- each kind's table is partitioned by layer version: a load fills a table of its own, without
-- indexes, and at the end attaches it as the version's partition, which builds the primary
-- key and the GiST index once, sorted (see crates/qala-store/src/load.rs). Readers name a
-- version (`layer_version_id = $1`, or the *_current views' join), so PostgreSQL reads only
-- that version's partition, at plan or at run time.
--
-- The parent keeps the columns, defaults, identity, CHECK constraints, primary key, unique
-- constraints, GiST index and foreign key of the old table; the index on layer_version_id
-- alone goes (the primary key starts with it, and a partition holds one version). Existing
-- rows move into one partition per version; the *_current views are created again on the
-- new tables with their old definitions.
DO $$
DECLARE
    t text;
    v bigint;
    views text[];
    defs text[];
    i int;
    old_seq text;
    new_seq text;
    last bigint;
    called boolean;
    idx record;
BEGIN
    FOR t IN
        SELECT c.table_name
        FROM information_schema.columns c
        WHERE c.table_schema = current_schema()
          AND c.column_name = c.table_name || '_id'
          AND EXISTS (SELECT 1 FROM information_schema.columns v
                      WHERE v.table_schema = c.table_schema AND v.table_name = c.table_name
                        AND v.column_name = 'layer_version_id')
          AND EXISTS (SELECT 1 FROM information_schema.columns g
                      WHERE g.table_schema = c.table_schema AND g.table_name = c.table_name
                        AND g.column_name = 'geom')
          AND EXISTS (SELECT 1 FROM pg_class r WHERE r.relname = c.table_name AND r.relkind = 'r'
                        AND r.relnamespace = current_schema()::regnamespace)
        ORDER BY c.table_name
    LOOP
        -- The views reading this table, with their definitions as they read now.
        SELECT coalesce(array_agg(dv.relname::text ORDER BY dv.relname), '{}'),
               coalesce(array_agg(pg_get_viewdef(dv.oid) ORDER BY dv.relname), '{}')
        INTO views, defs
        FROM (SELECT DISTINCT dv.oid, dv.relname
              FROM pg_depend d
              JOIN pg_rewrite r ON r.oid = d.objid
              JOIN pg_class dv ON dv.oid = r.ev_class
              WHERE d.refobjid = t::regclass AND dv.relkind = 'v' AND dv.oid <> t::regclass) dv;

        old_seq := pg_get_serial_sequence(t, t || '_id');
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '__unpartitioned');
        FOR idx IN SELECT i2.relname FROM pg_index x JOIN pg_class i2 ON i2.oid = x.indexrelid
                   WHERE x.indrelid = (t || '__unpartitioned')::regclass
        LOOP
            EXECUTE format('ALTER INDEX %I RENAME TO %I', idx.relname, left(idx.relname, 40) || '__old');
        END LOOP;

        EXECUTE format(
            'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY
               INCLUDING INDEXES INCLUDING COMMENTS INCLUDING STATISTICS)
             PARTITION BY LIST (layer_version_id)',
            t, t || '__unpartitioned');
        -- The index on layer_version_id alone: the primary key starts with it.
        FOR idx IN SELECT i2.relname FROM pg_index x JOIN pg_class i2 ON i2.oid = x.indexrelid
                   WHERE x.indrelid = t::regclass AND NOT x.indisunique AND x.indnatts = 1
                     AND x.indkey[0] = (SELECT attnum FROM pg_attribute
                                        WHERE attrelid = t::regclass AND attname = 'layer_version_id')
        LOOP
            EXECUTE format('DROP INDEX %I', idx.relname);
        END LOOP;
        EXECUTE format(
            'ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (layer_version_id)
               REFERENCES layer_version (layer_version_id) ON DELETE CASCADE',
            t, t || '_layer_version_id_fkey');

        -- New ids go on from where the old identity stopped.
        new_seq := pg_get_serial_sequence(t, t || '_id');
        EXECUTE format('SELECT last_value, is_called FROM %s', old_seq) INTO last, called;
        PERFORM setval(new_seq, last, called);

        -- One partition per version, named <table>_v<layer_version_id> (as loads name theirs).
        FOR v IN EXECUTE format('SELECT DISTINCT layer_version_id FROM %I ORDER BY 1', t || '__unpartitioned')
        LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%s)', t || '_v' || v, t, v);
        END LOOP;
        EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', t, t || '__unpartitioned');

        EXECUTE format('DROP TABLE %I CASCADE', t || '__unpartitioned');
        EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', new_seq, split_part(old_seq, '.', 2));
        FOR i IN 1 .. coalesce(array_length(views, 1), 0) LOOP
            EXECUTE format('CREATE VIEW %I AS %s', views[i], defs[i]);
        END LOOP;
    END LOOP;
END $$;
