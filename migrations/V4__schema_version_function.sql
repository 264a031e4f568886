-- keyadm schema version 4: the schema version as a constant function.
--
-- `check` refuses a schema that is missing, behind or ahead of its binary in the same statement
-- that looks the key up. Reading refinery's history table there cost a fresh connection about
-- half a millisecond (one more table to open, an aggregate to plan); this SQL function is
-- inlined as a constant. Every later migration must redefine it to return its own version
-- (a test checks that it matches the newest migration).

CREATE OR REPLACE FUNCTION schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT 4';
