import GRDB

/// The schema, as named migrations. A migration that has shipped is never edited: changes are
/// new migrations appended here.
enum HistoryMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs and failures") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("destination", .text).notNull()
                t.column("archive_path", .text).notNull()
                t.column("archive_size", .integer).notNull()
                t.column("archive_mtime", .double).notNull()
                t.column("archive_digest", .text)
                t.column("trigger", .text).notNull()
                t.column("started", .double).notNull()
                t.column("finished", .double)
                t.column("verdict", .text)
                t.column("sample", .text).notNull()
                t.column("seed", .integer).notNull()
                t.column("entries_seen", .integer).notNull().defaults(to: 0)
                t.column("entries_selected", .integer).notNull().defaults(to: 0)
                t.column("entries_checked", .integer).notNull().defaults(to: 0)
                t.column("bytes_read", .integer).notNull().defaults(to: 0)
                t.column("duration_seconds", .double).notNull().defaults(to: 0)
                t.column("failure_count", .integer).notNull().defaults(to: 0)
                t.column("error", .text)
            }
            try db.create(index: "run_by_destination", on: "run", columns: ["destination", "id"])
            try db.create(index: "run_by_archive", on: "run", columns: ["destination", "archive_path", "id"])
            try db.create(table: "failure") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("run_id", .integer).notNull().indexed().references("run", onDelete: .cascade)
                t.column("path", .text)
                t.column("kind", .text).notNull()
                t.column("expected", .text)
                t.column("actual", .text)
            }
        }
        migrator.registerMigration("v2: alert log and destination states") { db in
            try db.create(table: "alert") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("time", .double).notNull()
                t.column("kind", .text).notNull()
                t.column("destination", .text).notNull()
                t.column("payload", .text).notNull()
            }
            try db.create(table: "alert_cursor") { t in
                t.primaryKey("target", .text)
                t.column("seq", .integer).notNull()
            }
            try db.create(table: "destination_state") { t in
                t.primaryKey("name", .text)
                t.column("state", .text).notNull()
                t.column("since", .double).notNull()
            }
        }
        migrator.registerMigration("v3: entry coverage") { db in
            try db.alter(table: "run") { t in t.add(column: "note", .text) }
            try db.create(table: "coverage") { t in
                t.column("destination", .text).notNull()
                t.column("archive_path", .text).notNull()
                t.column("entry_path", .text).notNull()
                t.column("verified_at", .double).notNull()
                t.column("failed", .boolean).notNull()
                // What was read: `algorithm:hex` and size. The same content in the next archive is
                // known to be the same, but it is another copy and gets its own read.
                t.column("digest", .text)
                t.column("size", .integer)
                t.column("run_id", .integer).notNull()
                t.primaryKey(["destination", "archive_path", "entry_path"])
            }
            try db.create(table: "archive_entries") { t in
                t.column("destination", .text).notNull()
                t.column("archive_path", .text).notNull()
                t.column("entries", .integer)
                // The sizes the manifest declares, summed (when it declares them all).
                t.column("bytes", .integer)
                // When the current coverage cycle began: entries verified good since then are
                // done until every entry is (then a new cycle begins).
                t.column("cycle_started", .double)
                // The archive's identity when its coverage was recorded: a replaced archive
                // (same name, other size or mtime) is a new copy and starts uncovered.
                t.column("archive_size", .integer).notNull()
                t.column("archive_mtime", .double).notNull()
                t.primaryKey(["destination", "archive_path"])
            }
        }
        migrator.registerMigration("v4: the last good read of each entry") { db in
            // The digest of the entry's last good read before the latest one, and its run: the
            // same copy of an archive (coverage starts over when it is replaced) must read the
            // same every time, whatever its manifest says now.
            try db.alter(table: "coverage") { t in
                t.add(column: "previous_digest", .text)
                t.add(column: "previous_run_id", .integer)
            }
        }
        migrator.registerMigration("v5: archive removals and future mtimes") { db in
            // When scans stopped finding the archive (seen missing by two scans in a row): its
            // runs are kept for `history_retention`, then pruned like any other, the newest too.
            try db.alter(table: "run") { t in t.add(column: "archive_removed", .double) }
            // Archives first seen with a modification time far in the future: they are ordered by
            // when verifyd first saw them, and their `future_mtime` alert is raised once.
            try db.create(table: "future_mtime") { t in
                t.column("destination", .text).notNull()
                t.column("archive_path", .text).notNull()
                t.column("archive_mtime", .double).notNull()
                t.column("first_seen", .double).notNull()
                t.primaryKey(["destination", "archive_path"])
            }
        }
        migrator.registerMigration("v6: failing runs held until the archive is still") { db in
            // A failing verdict is recorded at once, with its findings, but counts (and is
            // alerted) only once the archive stayed unchanged until `held_until`. The files' identities
            // as the run read them (JSON) are what the end of the hold compares with, after a
            // restart too.
            try db.alter(table: "run") { t in
                t.add(column: "held_until", .double)
                t.add(column: "held_identities", .text)
            }
        }
        migrator.registerMigration("v7: indexes for a host of 100,000 archives") { db in
            // Issue 20: what start-up, `status` and run ends ask costs what they return, not
            // what the database holds (HistoryQueryCostTests checks the plans and the steps).
            // Runs without a verdict (left by a daemon that died) and held runs: found at start-up.
            try db.execute(sql: "CREATE INDEX run_unfinished ON run(id) WHERE verdict IS NULL")
            try db.execute(sql: "CREATE INDEX run_held ON run(id) WHERE held_until IS NOT NULL")
            // The previous archive that passed, for `shrink_alert`, after every passing run.
            try db.execute(sql: "CREATE INDEX run_passed_by_mtime ON run(destination, archive_mtime) WHERE verdict = 'pass'")
            // The alert log's hourly pruning.
            try db.execute(sql: "CREATE INDEX alert_by_time ON alert(time)")
        }
        migrator.registerMigration("v8: metric counters") { db in
            // Totals for Prometheus counters (HistoryStore+Counters), started from the runs and
            // alerts already kept.
            try db.create(table: "metric_counter") { t in
                t.column("destination", .text).notNull()
                t.column("name", .text).notNull()
                t.column("label", .text).notNull()
                t.column("value", .double).notNull()
                t.primaryKey(["destination", "name", "label"])
            }
            try HistoryStore.countRuns(db, where: "1")
            try db.execute(sql: "INSERT INTO metric_counter SELECT destination, 'alerts', kind, count(*) FROM alert GROUP BY destination, kind")
        }
        migrator.registerMigration("v9: each archive's latest conclusive run, from an index") { db in
            // Start-up reads every archive's latest run with a verdict (`latestRunPerArchive`):
            // with this covering index SQLite groups the runs of a destination without reading
            // a row of the table for each (HistoryQueryCostTests checks the plan). `verdict` is
            // a column, not only the condition: without it SQLite 3.40 still reads each row to
            // test `verdict IS NOT NULL`. The rowid (`id`) is in every index.
            try db.execute(sql: "CREATE INDEX run_latest_by_archive ON run(destination, archive_path, verdict) WHERE verdict IS NOT NULL")
        }
        return migrator
    }
}
