// The configuration types, the journal log handler and the spawner moved from this module into
// VerifySystem (so that verifyd-hooks links neither libarchive nor GRDB). They are still part of
// the daemon's interface (`Daemon(configuration:)`, `DaemonRunner`), so whoever imports
// VerifyDaemon sees them as before.
@_exported import VerifySystem
