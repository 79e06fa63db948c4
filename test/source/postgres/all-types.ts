/**
 * A table with one column of every Postgres type the sources map (enum, domain, arrays, json, numeric
 * beyond a double, µs timestamps, bytea …) and three rows: extremes, the other extremes, all NULL.
 * Shared by the keyset reader's and the change stream's value tests, so both read the same values.
 */
export const TYPES_DDL = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE all_types (
  id int PRIMARY KEY, b boolean, s smallint, i integer, l bigint, n numeric(38,10), money_like numeric(12,2), free numeric,
  f real, d double precision, day date, ts timestamp(6), tz timestamptz, bin bytea, t text, vc varchar(20), ch char(3),
  u uuid, j jsonb, js json, arr int[], tags text[], m mood, iv interval, tm time, ip inet, dom positive
);
INSERT INTO all_types VALUES
 (1, true, -32768, 2147483647, 9223372036854775807, 1234567890123456789012345678.0123456789, 12.30, 0.000000000001,
  1.5, 0.1, '2026-02-28', '2026-11-22 10:11:12.123456', '2026-03-29 01:59:59.999999+01', '\\x00ff0a5c', 'tab	newline
 backslash\\ "q" žluťoučký 🐎', 'vc', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, {"b": null}], "u": "\\u00e9"}',
  '{"keep":  "spacing"}', '{1,2,3}', '{"a b",null,"c\\"d"}', 'happy', '1 day 02:03:04', '23:59:59.999999', '10.0.0.1/8', 7),
 (2, false, 32767, -2147483648, -9223372036854775808, -9999999999999999999999999999.9999999999, -0.01, 1234567890123456789012345678901234567890.5,
  '-0', -1e308, '0001-01-01', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00.000001+00', '\\x', '', '', '', NULL, '[]',
  'null', '{}', '{}', 'sad', '-1 mons', '00:00', '::1', 1),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`
