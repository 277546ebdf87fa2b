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
          \(runTable("run", statuses: ["pending", "running", "finished", "failed", "interrupted"]))
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
      // A run stopped because its loss stopped being finite.
      try rebuildRunTable(db, statuses: ["pending", "running", "finished", "diverged", "failed", "interrupted"])
    }
    migrator.registerMigration("v3-preempted-status") { db in
      // A run stopped by a scheduler after it saved a checkpoint (Slurm time limit or preemption).
      try rebuildRunTable(
        db, statuses: ["pending", "running", "finished", "diverged", "failed", "interrupted", "preempted"])
    }
    return migrator
  }

  /// Rebuilds the run table with a new set of allowed statuses: SQLite cannot change a CHECK
  /// constraint in place (foreign keys are checked once the migration commits).
  private static func rebuildRunTable(_ db: Database, statuses: [String]) throws {
    try db.execute(
      sql: """
        \(runTable("run_new", statuses: statuses))
        INSERT INTO run_new SELECT * FROM run;
        DROP TABLE run;
        ALTER TABLE run_new RENAME TO run;
        CREATE INDEX run_experiment ON run(experiment_id, status);
        """)
  }

  /// The run table as migrations v1 to v3 create it, with its status constraint. Frozen with
  /// them: a later change to the run's columns is a migration of its own, never an edit here.
  private static func runTable(_ name: String, statuses: [String]) -> String {
    """
    CREATE TABLE \(name) (
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
        CHECK (status IN (\(statuses.map { "'\($0)'" }.joined(separator: ", ")))),
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
    """
  }
}
