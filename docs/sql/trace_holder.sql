-- Trace-back in an existing engine (DuckDB; Spark SQL alike): the visits of one holder and, for
-- each, the people present at the venue within the window, over a city's Parquet exports
-- (`venuecode records export --format parquet`) and the authority's index of them
-- (`venuecode trace open`, which alone holds the key to the sealed references).
-- Parameters: $exports (a list of Parquet files), $idx (the index), $holder (the holder token,
-- 32 hex digits), $window_secs (1800 for 30 minutes). Record ids are 16 bytes in both files
-- (hex in the answer). Tested by cli/tests/trace.rs.
WITH records AS (
  SELECT DISTINCT r.record_id, r.venue_id, r.door, r.at, r.origin, i.holder
  FROM read_parquet($exports) AS r
  JOIN read_parquet($idx) AS i USING (record_id)
  WHERE r.resolves IS NULL
),
visits AS (
  SELECT * FROM records WHERE holder = $holder
)
SELECT lower(hex(v.record_id)) AS visit, v.venue_id, v.at AS visit_at, c.holder AS contact,
       lower(hex(arg_min(c.record_id, c.at))) AS contact_record, min(c.at) AS contact_at
FROM visits AS v
JOIN records AS c
  ON c.venue_id = v.venue_id
 AND c.holder <> $holder
 AND abs(epoch(c.at) - epoch(v.at)) <= $window_secs
GROUP BY v.record_id, v.venue_id, v.at, c.holder
ORDER BY visit_at, contact_at;
