import GRDB

extension RunLog {
  /// `PRAGMA application_id` of a workbench log ("WBLG"), so a foreign SQLite file is never mistaken for one.
  static let applicationID: Int32 = 0x5742_4C47

  /// Append-only: a released migration is never edited; schema changes add a new one.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-initial") { db in
      try db.execute(sql: "PRAGMA application_id = \(applicationID)")
      try db.execute(
        sql: """
          CREATE TABLE experiment (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            plugin TEXT NOT NULL,
            source_path TEXT,
            created_at TEXT NOT NULL
          );
          CREATE TABLE sweep (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiment(id),
            key TEXT NOT NULL UNIQUE,
            spec TEXT NOT NULL,
            run_count INTEGER NOT NULL,
            created_at TEXT NOT NULL
          );
          CREATE TABLE run (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            experiment_id INTEGER NOT NULL REFERENCES experiment(id),
            sweep_id INTEGER REFERENCES sweep(id),
            label TEXT NOT NULL,
            plugin TEXT NOT NULL,
            plugin_version TEXT NOT NULL,
            seed INTEGER NOT NULL,
            config TEXT NOT NULL,
            status TEXT NOT NULL
              CHECK (status IN ('pending', 'running', 'finished', 'failed', 'interrupted')),
            attempts INTEGER NOT NULL DEFAULT 0,
            device TEXT,
            host TEXT,
            owner TEXT,
            workbench_version TEXT,
            git_revision TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            heartbeat_at TEXT,
            duration_s REAL,
            error TEXT,
            N INTEGER,
            N_total INTEGER,
            D INTEGER,
            C REAL,
            final_train_loss REAL,
            final_val_loss REAL
          );
          CREATE INDEX run_experiment ON run(experiment_id, status);
          CREATE TABLE metric (
            run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            tokens INTEGER,
            flops REAL,
            elapsed_s REAL,
            PRIMARY KEY (run_id, name, step)
          ) WITHOUT ROWID;
          CREATE TABLE artifact (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (run_id, path)
          );
          CREATE TABLE fit (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiment(id),
            form TEXT NOT NULL,
            parameters TEXT NOT NULL,
            intervals TEXT,
            options TEXT,
            point_count INTEGER NOT NULL,
            objective REAL NOT NULL,
            r2 REAL,
            created_at TEXT NOT NULL
          );
          CREATE TABLE fit_run (
            fit_id INTEGER NOT NULL REFERENCES fit(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            PRIMARY KEY (fit_id, run_id)
          ) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v2-diverged-status") { db in
      // SQLite cannot change a CHECK constraint in place: rebuild the table (foreign keys are
      // checked once the migration commits).
      try db.execute(
        sql: """
          CREATE TABLE run_new (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            experiment_id INTEGER NOT NULL REFERENCES experiment(id),
            sweep_id INTEGER REFERENCES sweep(id),
            label TEXT NOT NULL,
            plugin TEXT NOT NULL,
            plugin_version TEXT NOT NULL,
            seed INTEGER NOT NULL,
            config TEXT NOT NULL,
            status TEXT NOT NULL
              CHECK (status IN ('pending', 'running', 'finished', 'diverged', 'failed', 'interrupted')),
            attempts INTEGER NOT NULL DEFAULT 0,
            device TEXT,
            host TEXT,
            owner TEXT,
            workbench_version TEXT,
            git_revision TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            heartbeat_at TEXT,
            duration_s REAL,
            error TEXT,
            N INTEGER,
            N_total INTEGER,
            D INTEGER,
            C REAL,
            final_train_loss REAL,
            final_val_loss REAL
          );
          INSERT INTO run_new SELECT * FROM run;
          DROP TABLE run;
          ALTER TABLE run_new RENAME TO run;
          CREATE INDEX run_experiment ON run(experiment_id, status);
          """)
    }
    migrator.registerMigration("v3-preempted-status") { db in
      // A run stopped by a scheduler after it saved a checkpoint (Slurm time limit or preemption).
      try db.execute(
        sql: """
          CREATE TABLE run_new (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            experiment_id INTEGER NOT NULL REFERENCES experiment(id),
            sweep_id INTEGER REFERENCES sweep(id),
            label TEXT NOT NULL,
            plugin TEXT NOT NULL,
            plugin_version TEXT NOT NULL,
            seed INTEGER NOT NULL,
            config TEXT NOT NULL,
            status TEXT NOT NULL
              CHECK (status IN ('pending', 'running', 'finished', 'diverged', 'failed', 'interrupted', 'preempted')),
            attempts INTEGER NOT NULL DEFAULT 0,
            device TEXT,
            host TEXT,
            owner TEXT,
            workbench_version TEXT,
            git_revision TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            heartbeat_at TEXT,
            duration_s REAL,
            error TEXT,
            N INTEGER,
            N_total INTEGER,
            D INTEGER,
            C REAL,
            final_train_loss REAL,
            final_val_loss REAL
          );
          INSERT INTO run_new SELECT * FROM run;
          DROP TABLE run;
          ALTER TABLE run_new RENAME TO run;
          CREATE INDEX run_experiment ON run(experiment_id, status);
          """)
    }
    return migrator
  }
}
