// The shape every error takes (a closed code, one line for the user), for plugins' own errors:
// `WorkbenchError`, and `CodedError` for the common case of a code and a line.
@_exported import WorkbenchErrors

// Two plain value types of the run log that every plugin names — what `execute` returns and a
// run's status — re-exported here, so that a plugin imports only WorkbenchKit and never sees the
// log's database records.
@_exported import enum WorkbenchRunLog.RunStatus
@_exported import struct WorkbenchRunLog.RunSummary
